package dataset

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultStoreEnvironment(t *testing.T) {
	cases := []struct {
		zooCache, xdg, home string
		want                string
	}{
		{"/c/zoo-cache", "/x", "/h", "/c/zoo-cache"},
		{"", "/x", "/h", "/x/zoo"},
		{"", "", "/h", "/h/.cache/zoo"},
	}
	for _, c := range cases {
		t.Setenv("ZOO_DATA", "/mirror")
		t.Setenv("ZOO_CACHE", c.zooCache)
		t.Setenv("XDG_CACHE_HOME", c.xdg)
		t.Setenv("HOME", c.home)
		s := DefaultStore()
		if s.Cache != c.want || s.Mirror != "/mirror" {
			t.Errorf("ZOO_CACHE=%q XDG_CACHE_HOME=%q HOME=%q: store %+v, want cache %s", c.zooCache, c.xdg, c.home, s, c.want)
		}
	}
	// Relative directories are made absolute against the working directory.
	t.Setenv("ZOO_DATA", filepath.Join("..", "mirror"))
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := DefaultStore().Mirror, filepath.Join(filepath.Dir(wd), "mirror"); got != want {
		t.Errorf("ZOO_DATA=../mirror: mirror %s, want %s", got, want)
	}
}

func TestPathResolvesMirrorThenCache(t *testing.T) {
	good, bad := "a line\n", "another line\n"
	spec := Spec{Name: "toy", Files: []File{
		{Name: "good.txt", Parts: []Source{{URL: "http://127.0.0.1:1/good.txt"}}, SHA256: sha([]byte(good))},
		{Name: "bad.txt", Parts: []Source{{URL: "http://127.0.0.1:1/bad.txt"}}, SHA256: sha([]byte(good))},
		{Name: "unsummed.txt", Parts: []Source{{URL: "http://127.0.0.1:1/u.txt"}}},
	}}
	mirror := t.TempDir()
	for name, body := range map[string]string{"good.txt": good, "bad.txt": bad, "unsummed.txt": bad} {
		writeFile(t, filepath.Join(mirror, "toy", name), body)
	}
	s := testStore(t, spec)
	s.Mirror = mirror

	loc, err := s.Locate("toy", "good.txt")
	if err != nil || loc.Path != filepath.Join(mirror, "toy", "good.txt") || loc.Where != InMirror || !loc.Verified {
		t.Errorf("good.txt: %+v, %v", loc, err)
	}
	loc, err = s.Locate("toy", "unsummed.txt")
	if err != nil || loc.Where != InMirror || loc.Verified {
		t.Errorf("unsummed.txt: %+v, %v (want the mirror copy, unverified)", loc, err)
	}
	// A mirror copy with the wrong checksum is passed over for the cache.
	_, err = s.Path("toy", "bad.txt")
	if err == nil || !strings.Contains(err.Error(), "sha256 "+sha([]byte(bad))+", want "+sha([]byte(good))) {
		t.Errorf("bad.txt: error %v, want the mirror's mismatch", err)
	}
	cached := filepath.Join(s.Cache, "toy", "bad.txt")
	writeFile(t, cached, good)
	if p, err := s.Path("toy", "bad.txt"); err != nil || p != cached {
		t.Errorf("bad.txt with a cached copy: %q, %v", p, err)
	}
}

func TestPathUsesZOODATA(t *testing.T) {
	mirror := t.TempDir()
	writeFile(t, filepath.Join(mirror, "iwslt14", "train.de"), "ich bin ein satz .\n")
	t.Setenv("ZOO_DATA", mirror)
	t.Setenv("ZOO_CACHE", t.TempDir())
	p, err := Path("iwslt14", "train.de")
	if err != nil || p != filepath.Join(mirror, "iwslt14", "train.de") {
		t.Errorf("Path = %q, %v", p, err)
	}
}

func TestPathMissingError(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("ZOO_DATA", "")
	t.Setenv("ZOO_CACHE", cache)
	cases := []struct {
		dataset, file string
		want          []string
	}{
		{"multi30k", "train.de.gz", []string{
			"multi30k/train.de.gz not found",
			filepath.Join(cache, "multi30k", "train.de.gz") + " (cache: absent)",
			"to get it: zoo data get multi30k",
		}},
		{"fmnist", "train-images-idx3-ubyte.gz", []string{
			"/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz (system: ",
			"to get it: sudo apt-get install dataset-fashion-mnist",
		}},
		{"iwslt14", "valid.en", []string{"prepare-iwslt14.sh", "into " + filepath.Join(cache, "iwslt14")}},
		{"cifar10-jpg", "train", []string{"to get it: zoo data get cifar10-jpg"}},
	}
	for _, c := range cases {
		if c.dataset == "fmnist" && fileExists(Builtin, c.dataset, c.file) {
			continue // installed on this machine
		}
		_, err := Path(c.dataset, c.file)
		var miss *MissingError
		if !errors.As(err, &miss) || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s/%s: error %v, want a *MissingError", c.dataset, c.file, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s/%s: error %q lacks %q", c.dataset, c.file, err, w)
			}
		}
	}
}

func fileExists(c Catalogue, dataset, file string) bool {
	_, err := Store{Catalogue: c}.Path(dataset, file)
	return err == nil
}

func TestLookupSuggests(t *testing.T) {
	cases := []struct{ name, suggestion string }{
		{"mult30k", "multi30k"},
		{"wmt41", "wmt14"},
		{"cifar", "cifar10"},
		{"cifar10jpg", "cifar10-jpg"},
		{"imagenet", ""},
	}
	for _, c := range cases {
		_, err := Lookup(c.name)
		var u *UnknownError
		if !errors.As(err, &u) || !errors.Is(err, ErrUnknown) {
			t.Fatalf("%s: error %v", c.name, err)
		}
		if u.Suggestion != c.suggestion {
			t.Errorf("%s: suggestion %q, want %q", c.name, u.Suggestion, c.suggestion)
		}
		msg := err.Error()
		if !strings.Contains(msg, `unknown data set "`+c.name+`"`) || !strings.Contains(msg, "known: multi30k, wmt14, iwslt14, cifar10") {
			t.Errorf("%s: message %q", c.name, msg)
		}
		if c.suggestion != "" && !strings.Contains(msg, `(did you mean "`+c.suggestion+`"?)`) {
			t.Errorf("%s: message %q lacks the suggestion", c.name, msg)
		}
	}
	if _, err := Builtin.Lookup("wmt14"); err != nil {
		t.Error(err)
	}
}

func TestUnknownFileSuggests(t *testing.T) {
	_, err := Path("wmt14", "newstest2014.eng")
	if err == nil || !strings.Contains(err.Error(), `no file "newstest2014.eng" (did you mean "newstest2014.en"?)`) {
		t.Errorf("error %v", err)
	}
}

func TestBuiltinCatalogue(t *testing.T) {
	if err := Builtin.validate(); err != nil {
		t.Fatal(err)
	}
	want := []string{"multi30k", "wmt14", "iwslt14", "cifar10", "cifar100", "fmnist", "cifar10-jpg"}
	for _, name := range want {
		if _, err := Lookup(name); err != nil {
			t.Error(err)
		}
	}
	// Files that no checksum covers must be the documented ones only: the
	// WMT14 training corpora, what users prepare themselves, and the
	// directories unpacked from a checked archive.
	firstUse := map[string]bool{}
	for _, s := range Builtin {
		for _, f := range s.Files {
			if f.Check() == CheckFirstUse && !f.Dir {
				firstUse[s.Name+"/"+f.Name] = true
			}
		}
	}
	for _, name := range []string{"wmt14/train.en", "wmt14/train.de", "iwslt14/train.de", "iwslt14/valid.en"} {
		if !firstUse[name] {
			t.Errorf("%s should be trust-on-first-use", name)
		}
		delete(firstUse, name)
	}
	delete(firstUse, "iwslt14/train.en")
	delete(firstUse, "iwslt14/valid.de")
	if len(firstUse) > 0 {
		t.Errorf("unexpectedly unverified: %v", firstUse)
	}
}

func TestValidateCatchesMistakes(t *testing.T) {
	bad := Catalogue{
		{Name: "a", Files: []File{{Name: "../x", Parts: []Source{{URL: "u"}}}}},
		{Name: "a", Files: []File{{Name: "d", Dir: true, Parts: []Source{{URL: "u", Local: "l", Member: "d"}}}}},
		{Name: "b", Files: []File{{Name: "y"}}},
	}
	err := bad.validate()
	for _, want := range []string{"a listed twice", "a/../x: duplicate or unsafe", "exactly one of URL and Local", "ending in /", "b/y: no sources"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validate: %v lacks %q", err, want)
		}
	}
}
