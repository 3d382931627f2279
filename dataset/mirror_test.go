package dataset

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedData finds the project's read-only mirror: $ZOO_SHARED/data, else
// ../../shared/data from this package.
func sharedData(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "data")
	if s := os.Getenv("ZOO_SHARED"); s != "" {
		dir = filepath.Join(s, "data")
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Skipf("no shared mirror at %s", dir)
	}
	return dir
}

// TestCatalogueMatchesMirror checks every recorded checksum that the
// mirror can check, and requires the files the brief measured there.
func TestCatalogueMatchesMirror(t *testing.T) {
	mirror := sharedData(t)
	required := map[string]bool{
		"multi30k/test_2016_flickr.de.gz": true, "multi30k/test_2016_flickr.en.gz": true,
		"wmt14/newstest2014.en": true, "wmt14/newstest2014.de": true,
		"wmt14/newstest2013.en": true, "wmt14/newstest2013.de": true,
	}
	checked := 0
	for _, s := range Builtin {
		for _, f := range s.Files {
			if f.SHA256 == "" || f.Dir {
				continue
			}
			name := s.Name + "/" + f.Name
			p := filepath.Join(mirror, s.mirrorDir(), f.Name)
			if _, err := os.Stat(p); err != nil {
				if required[name] {
					t.Errorf("%s: not in the mirror: %v", name, err)
				}
				continue
			}
			got, err := fileSum(p, "sha256")
			if err != nil {
				t.Fatal(err)
			}
			if got != f.SHA256 {
				t.Errorf("%s: catalogue sha256 %s, mirror %s", name, f.SHA256, got)
			}
			delete(required, name)
			checked++
		}
	}
	if len(required) > 0 {
		t.Errorf("not checked: %v", required)
	}
	t.Logf("%d files match the mirror", checked)
}

// TestMirrorResolvesInPlace resolves the real mirror through ZOO_DATA.
func TestMirrorResolvesInPlace(t *testing.T) {
	mirror := sharedData(t)
	t.Setenv("ZOO_DATA", mirror)
	t.Setenv("ZOO_CACHE", t.TempDir())
	for _, c := range []struct{ dataset, file string }{
		{"multi30k", "val.en.gz"}, {"wmt14", "newstest2014.de"}, {"iwslt14", "test.en"}, {"cifar10-jpg", "cifar10-jpg.tar.gz"},
	} {
		loc, err := DefaultStore().Locate(c.dataset, c.file)
		if err != nil {
			t.Errorf("%s/%s: %v", c.dataset, c.file, err)
			continue
		}
		if loc.Where != InMirror || !loc.Verified {
			t.Errorf("%s/%s: %+v, want a verified mirror copy", c.dataset, c.file, loc)
		}
	}
}

// TestBuiltinEntriesReproduceMirror serves stand-ins for the canonical
// downloads (the mirror's multi30k files as they are; a test-full.tgz
// whose SGM wraps the mirror's newstest2014 lines, with the stray white
// space real SGM files have) and checks that the built-in entries' member
// paths, transform and recorded sha256s fit together.
func TestBuiltinEntriesReproduceMirror(t *testing.T) {
	mirror := sharedData(t)
	served := map[string][]byte{}
	for _, f := range []string{"train.de.gz", "val.en.gz", "test_2016_flickr.de.gz"} {
		served["/multi30k/dataset/master/data/task1/raw/"+f] = mustReadFile(t, filepath.Join(mirror, "multi30k", f))
	}
	sgm := func(lang string) string {
		lines := strings.Split(strings.TrimSuffix(string(mustReadFile(t, filepath.Join(mirror, "wmt14", "newstest2014."+lang))), "\n"), "\n")
		var b strings.Builder
		b.WriteString("<srcset setid=\"newstest2014\" srclang=\"any\">\n<doc sysid=\"ref\" docid=\"1\" genre=\"news\" origlang=\"en\">\n")
		for i, l := range lines {
			fmt.Fprintf(&b, "<seg id=\"%d\"> %s\t</seg>\n", i+1, strings.ReplaceAll(l, " ", "  "))
		}
		b.WriteString("</doc>\n</srcset>\n")
		return b.String()
	}
	testFull := tgz(t, map[string]string{
		"test-full/newstest2014-deen-src.en.sgm": sgm("en"),
		"test-full/newstest2014-deen-ref.de.sgm": sgm("de"),
	})
	served["/wmt14/test-full.tgz"] = testFull
	srv := newFakeServer(t, served)

	for _, c := range []struct {
		dataset string
		files   []string
	}{
		{"multi30k", []string{"train.de.gz", "val.en.gz", "test_2016_flickr.de.gz"}},
		{"wmt14", []string{"newstest2014.en", "newstest2014.de"}},
	} {
		spec, err := Lookup(c.dataset)
		if err != nil {
			t.Fatal(err)
		}
		spec.Files = rehost(t, spec, c.files, srv.URL, md5hex(testFull))
		s := testStore(t, spec)
		if _, err := get(t, s, c.dataset, GetOptions{}); err != nil {
			t.Errorf("%s: %v", c.dataset, err)
		}
	}
}

// rehost keeps the named files of spec and points their URLs at base,
// keeping each URL's path; published md5s become md5 (the stand-in's).
func rehost(t *testing.T, spec Spec, names []string, base, md5 string) []File {
	t.Helper()
	var out []File
	for _, n := range names {
		f, err := spec.File(n)
		if err != nil {
			t.Fatal(err)
		}
		parts := make([]Source, len(f.Parts))
		for i, p := range f.Parts {
			u, err := url.Parse(p.URL)
			if err != nil {
				t.Fatal(err)
			}
			p.URL = base + u.Path
			if p.MD5 != "" {
				p.MD5 = md5
			}
			parts[i] = p
		}
		f.Parts = parts
		out = append(out, f)
	}
	return out
}

func mustReadFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
