package dataset

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestGetDownloadsAndVerifies(t *testing.T) {
	body := []byte("ein Hund\nzwei Hunde\n")
	srv := newFakeServer(t, map[string][]byte{"/raw/train.de": body})
	s := testStore(t, Spec{Name: "toy", Files: []File{
		{Name: "train.de", Parts: []Source{{URL: srv.URL + "/raw/train.de"}}, SHA256: sha(body), Size: int64(len(body))},
	}})
	events, err := get(t, s, "toy", GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(s.Cache, "toy", "train.de")
	if got := readFile(t, want); got != string(body) {
		t.Errorf("cached file %q, want %q", got, body)
	}
	wrote := kinds(events, Wrote)
	if len(wrote) != 1 || wrote[0].Path != want || wrote[0].SHA256 != sha(body) || wrote[0].FirstUse {
		t.Errorf("Wrote events %+v", wrote)
	}
	if r := kinds(events, Received); len(r) == 0 || r[len(r)-1].Bytes != int64(len(body)) || r[len(r)-1].Total != int64(len(body)) {
		t.Errorf("Received events %+v", r)
	}
	if got := readFile(t, filepath.Join(s.Cache, "toy", ManifestName)); got != sha(body)+"  train.de\n" {
		t.Errorf("manifest %q", got)
	}
	if _, err := os.Stat(filepath.Join(s.Cache, "toy", ".download")); !os.IsNotExist(err) {
		t.Errorf("download directory left after success: %v", err)
	}
	for _, f := range []string{want, filepath.Join(s.Cache, "toy", ManifestName)} {
		if st, err := os.Stat(f); err != nil {
			t.Error(err)
		} else if st.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want 0644 (not os.CreateTemp's 0600)", f, st.Mode().Perm())
		}
	}
	// A second Get verifies the cached copy and downloads nothing.
	events, err = get(t, s, "toy", GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f := kinds(events, Found); len(f) != 1 || f[0].Where != InCache || f[0].Status != "sha256 verified" {
		t.Errorf("second Get events %+v", events)
	}
	if n := srv.count("/raw/train.de"); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestGetRejectsChecksumMismatch(t *testing.T) {
	srv := newFakeServer(t, map[string][]byte{"/a.txt": []byte("tampered\n")})
	want := sha([]byte("original\n"))
	s := testStore(t, Spec{Name: "toy", Files: []File{{Name: "a.txt", Parts: []Source{{URL: srv.URL + "/a.txt"}}, SHA256: want}}})
	_, err := get(t, s, "toy", GetOptions{})
	var ce *ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v, want a *ChecksumError", err)
	}
	for _, part := range []string{"toy/a.txt", "expected " + want, "got " + sha([]byte("tampered\n")), "not kept"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q lacks %q", err, part)
		}
	}
	if _, err := os.Stat(filepath.Join(s.Cache, "toy", "a.txt")); !os.IsNotExist(err) {
		t.Errorf("mismatching file kept: %v", err)
	}
	if l := leftovers(t, filepath.Join(s.Cache, "toy")); len(l) > 0 {
		t.Errorf("temporary files left: %v", l)
	}
}

func TestGetExtractsArchiveMembers(t *testing.T) {
	archive := tgz(t, map[string]string{
		"corpus/a.en":   "hello\n",
		"corpus/a.de":   "hallo\n",
		"corpus/README": "ignored",
	})
	srv := newFakeServer(t, map[string][]byte{"/c.tgz": archive})
	src := func(member, md5 string) []Source {
		return []Source{{URL: srv.URL + "/c.tgz", MD5: md5, Member: member}}
	}
	cases := []struct {
		name    string
		md5     string
		wantErr string
	}{
		{"published md5 matches", md5hex(archive), ""},
		{"published md5 differs", strings.Repeat("0", 32), "md5 mismatch: expected " + strings.Repeat("0", 32)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := testStore(t, Spec{Name: "toy", Files: []File{
				{Name: "a.en", Parts: src("corpus/a.en", c.md5)},
				{Name: "a.de", Parts: src("corpus/a.de", c.md5)},
			}})
			before := srv.count("/c.tgz")
			events, err := get(t, s, "toy", GetOptions{})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || !strings.Contains(err.Error(), "/c.tgz") {
					t.Fatalf("error %v, want one with %q naming the archive", err, c.wantErr)
				}
				if entries, _ := os.ReadDir(filepath.Join(s.Cache, "toy", ".download")); len(entries) != 0 {
					t.Errorf("bad download kept: %v", entries)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, filepath.Join(s.Cache, "toy", "a.de")); got != "hallo\n" {
				t.Errorf("a.de = %q", got)
			}
			if n := srv.count("/c.tgz") - before; n != 1 {
				t.Errorf("archive fetched %d times for two members, want once", n)
			}
			for _, e := range kinds(events, Wrote) {
				if !strings.HasPrefix(e.Status, "archive checksum verified") || e.FirstUse {
					t.Errorf("event %+v", e)
				}
			}
		})
	}
}

func TestGetMissingMember(t *testing.T) {
	srv := newFakeServer(t, map[string][]byte{"/c.tgz": tgz(t, map[string]string{"x": "1"})})
	s := testStore(t, Spec{Name: "toy", Files: []File{{Name: "y", Parts: []Source{{URL: srv.URL + "/c.tgz", Member: "dir/y"}}}}})
	_, err := get(t, s, "toy", GetOptions{})
	if err == nil || !strings.Contains(err.Error(), "toy/y") || !strings.Contains(err.Error(), "has no member dir/y") {
		t.Errorf("error %v", err)
	}
}

const handSGM = `<srcset setid="newstest2014" srclang="any">
<doc sysid="ref" docid="1012-bbc" genre="news" origlang="en">
<p>
<seg id="1">Gutach: Increased safety for pedestrians</seg>
<seg id="2">  They are   not even 100 metres apart:	On Tuesday </seg>
</p>
<seg id="3">Standard & Poor's &amp; "quotes"</seg>
  <seg id="4">indented lines are not segments</seg>
<seg id="5"></seg>
</doc>
</srcset>
`

func TestGetSGMTransform(t *testing.T) {
	want := "Gutach: Increased safety for pedestrians\n" +
		"They are not even 100 metres apart: On Tuesday\n" +
		"Standard & Poor's &amp; \"quotes\"\n" +
		"\n"
	archive := tgz(t, map[string]string{"test-full/newstest2014-deen-src.en.sgm": handSGM})
	srv := newFakeServer(t, map[string][]byte{"/test-full.tgz": archive})
	s := testStore(t, Spec{Name: "wmt", Files: []File{{Name: "newstest2014.en", SHA256: sha([]byte(want)),
		Parts: []Source{{URL: srv.URL + "/test-full.tgz", MD5: md5hex(archive), Member: "test-full/newstest2014-deen-src.en.sgm", Transform: SGM}}}}})
	if _, err := get(t, s, "wmt", GetOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(s.Cache, "wmt", "newstest2014.en")); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestGetConcatenatesAndRecordsFirstUse(t *testing.T) {
	a := tgz(t, map[string]string{"training/europarl.en": "one\ntwo\n"})
	b := tgz(t, map[string]string{"crawl.en": "three"}) // no final newline
	srv := newFakeServer(t, map[string][]byte{"/a.tgz": a, "/b.tgz": b, "/nc.en": []byte("four\n")})
	s := testStore(t, Spec{Name: "wmt", Files: []File{{Name: "train.en", Parts: []Source{
		{URL: srv.URL + "/a.tgz", Member: "training/europarl.en"},
		{URL: srv.URL + "/b.tgz", Member: "crawl.en"},
		{URL: srv.URL + "/nc.en"},
	}}}})
	events, err := get(t, s, "wmt", GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := "one\ntwo\nthree\nfour\n"
	path := filepath.Join(s.Cache, "wmt", "train.en")
	if got := readFile(t, path); got != want {
		t.Errorf("train.en = %q, want %q", got, want)
	}
	w := kinds(events, Wrote)
	if len(w) != 1 || !w[0].FirstUse || w[0].SHA256 != sha([]byte(want)) || !strings.Contains(w[0].Status, "trust on first use") {
		t.Fatalf("Wrote events %+v", w)
	}
	if got := readFile(t, filepath.Join(s.Cache, "wmt", ManifestName)); got != sha([]byte(want))+"  train.en\n" {
		t.Errorf("manifest %q", got)
	}

	events, err = get(t, s, "wmt", GetOptions{})
	if f := kinds(events, Found); err != nil || len(f) != 1 || f[0].FirstUse || !strings.Contains(f[0].Status, "matches SHA256SUMS") {
		t.Errorf("unchanged file: events %+v, error %v", events, err)
	}
	writeFile(t, path, "changed\n")
	_, err = get(t, s, "wmt", GetOptions{})
	var ce *ChecksumError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), ManifestName) || ce.Want != sha([]byte(want)) {
		t.Errorf("changed file: error %v, want a checksum error against %s", err, ManifestName)
	}
	if _, err := get(t, s, "wmt", GetOptions{Force: true}); err != nil {
		t.Errorf("Force: %v", err)
	}
	if got := readFile(t, path); got != want {
		t.Errorf("after Force train.en = %q", got)
	}
}

func TestGetResumesPartialDownload(t *testing.T) {
	body := []byte(strings.Repeat("0123456789", 1000))
	srv := newFakeServer(t, map[string][]byte{"/big.bin": body})
	s := testStore(t, Spec{Name: "toy", Files: []File{{Name: "big.bin", SHA256: sha(body),
		Parts: []Source{{URL: srv.URL + "/big.bin", SHA256: sha(body)}}}}})
	part := filepath.Join(s.Cache, "toy", ".download", downloadName(srv.URL+"/big.bin")+".part")
	writeFile(t, part, string(body[:4000]))
	events, err := get(t, s, "toy", GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(srv.ranges) != 1 || srv.ranges[0] != "bytes=4000-" {
		t.Errorf("range requests %v, want [bytes=4000-]", srv.ranges)
	}
	if d := kinds(events, Downloading); len(d) != 1 || d[0].Bytes != 4000 || d[0].Total != int64(len(body)) {
		t.Errorf("Downloading events %+v", d)
	}
	if got := readFile(t, filepath.Join(s.Cache, "toy", "big.bin")); got != string(body) {
		t.Error("resumed file differs")
	}
}

func TestGetStalledDownload(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	s := testStore(t, Spec{Name: "toy", Files: []File{{Name: "x", Parts: []Source{{URL: srv.URL + "/x"}}}}})
	_, err := get(t, s, "toy", GetOptions{StallTimeout: 50 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "no data for 50ms") || !strings.Contains(err.Error(), "run again to resume") {
		t.Fatalf("error %v", err)
	}
	if l := leftovers(t, filepath.Join(s.Cache, "toy")); len(l) != 1 || filepath.Ext(l[0]) != ".part" {
		t.Errorf("want the partial download kept, have %v", l)
	}
}

func TestGetHTTPErrorSparesOtherFiles(t *testing.T) {
	srv := newFakeServer(t, map[string][]byte{"/ok": []byte("ok\n")})
	s := testStore(t, Spec{Name: "toy", Files: []File{
		{Name: "x", Parts: []Source{{URL: srv.URL + "/gone"}}},
		{Name: "y", Parts: []Source{{URL: srv.URL + "/ok"}}},
	}})
	_, err := get(t, s, "toy", GetOptions{})
	if err == nil || err.Error() != "toy/x: GET "+srv.URL+"/gone: 404 Not Found" {
		t.Errorf("error %v", err)
	}
	if got := readFile(t, filepath.Join(s.Cache, "toy", "y")); got != "ok\n" {
		t.Errorf("y = %q", got)
	}
}

func TestGetUnpacksDirectoryOnce(t *testing.T) {
	archive := tgz(t, map[string]string{"train/cat/0001.jpg": "c1", "train/dog/0001.jpg": "d1", "test/cat/0001.jpg": "t1"})
	mirror := t.TempDir()
	writeFile(t, filepath.Join(mirror, "pics-src", "pics.tgz"), string(archive))
	s := testStore(t, Spec{Name: "pics", Mirror: "pics-src", Install: "mirror only", Files: []File{
		{Name: "pics.tgz", SHA256: sha(archive)},
		{Name: "train", Dir: true, Parts: []Source{{Local: "pics.tgz", Member: "train/"}}},
	}})
	s.Mirror = mirror
	events, err := get(t, s, "pics", GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(s.Cache, "pics", "train")
	if readFile(t, filepath.Join(dir, "dog", "0001.jpg")) != "d1" {
		t.Error("train/dog/0001.jpg not unpacked")
	}
	if _, err := os.Stat(filepath.Join(dir, "..", "test")); !os.IsNotExist(err) {
		t.Error("test/ unpacked though not asked for")
	}
	if w := kinds(events, Wrote); len(w) != 1 || !strings.HasPrefix(w[0].Status, "2 files unpacked") {
		t.Errorf("Wrote events %+v", w)
	}
	events, err = get(t, s, "pics", GetOptions{})
	if err != nil || len(kinds(events, Wrote)) != 0 || len(kinds(events, Found)) != 2 {
		t.Errorf("second Get unpacked again: %+v, %v", events, err)
	}
	if p, err := s.Path("pics", "train"); err != nil || p != dir {
		t.Errorf("Path = %q, %v", p, err)
	}
}

func TestUnpackRejectsEscapingMembers(t *testing.T) {
	archive := filepath.Join(t.TempDir(), "evil.tgz")
	writeFile(t, archive, string(tgz(t, map[string]string{"train/../../evil": "x"})))
	out := t.TempDir()
	if _, err := unpackDir(archive, "train/", out); err == nil || !strings.Contains(err.Error(), "leaves its directory") {
		t.Errorf("error %v", err)
	}
}

func TestGetReportsFilesItCannotMake(t *testing.T) {
	s := testStore(t, Spec{Name: "prep", Install: "run prepare.sh and copy its output into {dir}", Files: []File{
		{Name: "train.de"}, {Name: "test.de", SHA256: sha([]byte("x\n"))},
	}})
	writeFile(t, filepath.Join(s.Cache, "prep", "test.de"), "x\n")
	events, err := get(t, s, "prep", GetOptions{})
	want := "prep: train.de not found and cannot be downloaded; to get them: run prepare.sh and copy its output into " + filepath.Join(s.Cache, "prep")
	if err == nil || err.Error() != want {
		t.Errorf("error\n%v\nwant\n%s", err, want)
	}
	if f := kinds(events, Found); len(f) != 1 || f[0].File != "test.de" {
		t.Errorf("events %+v", events)
	}
	// A file the user put in place is recorded on first use.
	writeFile(t, filepath.Join(s.Cache, "prep", "train.de"), "y\n")
	events, err = get(t, s, "prep", GetOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if f := kinds(events, Found); len(f) != 2 || !f[0].FirstUse || f[0].SHA256 != sha([]byte("y\n")) {
		t.Errorf("events %+v", events)
	}
}

func TestTransforms(t *testing.T) {
	cases := []struct {
		name string
		t    Transform
		in   string
		want string
	}{
		{"copy", Copy, "a\nb", "a\nb"},
		{"sgm", SGM, handSGM, "Gutach: Increased safety for pedestrians\nThey are not even 100 metres apart: On Tuesday\nStandard & Poor's &amp; \"quotes\"\n\n"},
		{"sgm unclosed seg kept whole", SGM, "<seg id=\"1\">no end\n", "<seg id=\"1\">no end\n"},
		{"sgm no final newline", SGM, "<seg id=\"1\"> x </seg>", "x\n"},
		{"sgm separator characters", SGM, "<seg id=\"1\">a\u001cb\u00a0c</seg>\n", "a b c\n"},
		{"gunzip", Gunzip, gzipped(t, "plain text\n"), "plain text\n"},
	}
	for _, c := range cases {
		var out strings.Builder
		if err := c.t.apply(&out, strings.NewReader(c.in)); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if out.String() != c.want {
			t.Errorf("%s: got %q, want %q", c.name, out.String(), c.want)
		}
	}
	if err := Gunzip.apply(&strings.Builder{}, strings.NewReader("not gzip")); err == nil {
		t.Error("gunzip accepted garbage")
	}
}
