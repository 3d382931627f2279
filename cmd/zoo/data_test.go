package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zoo-nn/zoo/dataset"
)

// useDataStore points the data commands at s for the rest of the test.
func useDataStore(t *testing.T, s dataset.Store) {
	t.Helper()
	old := dataStore
	dataStore = func() dataset.Store { return s }
	t.Cleanup(func() { dataStore = old })
}

// emptyDataEnv leaves the data commands no mirror and an empty cache.
func emptyDataEnv(t *testing.T) string {
	t.Helper()
	cache := t.TempDir()
	t.Setenv("ZOO_DATA", "")
	t.Setenv("ZOO_CACHE", cache)
	return cache
}

func hexSHA(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestDataList(t *testing.T) {
	emptyDataEnv(t)
	out, err := runZoo(t, "", "data", "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"multi30k", "wmt14", "iwslt14", "cifar10", "cifar100", "fmnist", "cifar10-jpg"} {
		if !strings.Contains(out, "│ "+name+" ") {
			t.Errorf("no row for %s:\n%s", name, out)
		}
	}
	for _, want := range []string{"where found", "first use 2, sha256 4", "archive checksum", "1.3 MB"} {
		if !strings.Contains(out, want) {
			t.Errorf("zoo data list lacks %q:\n%s", want, out)
		}
	}
}

func TestDataListFilesCSV(t *testing.T) {
	cache := emptyDataEnv(t)
	writeDataFile(t, filepath.Join(cache, "iwslt14", "train.de"), "ein satz .\n")
	out, err := runZoo(t, "", "data", "list", "iwslt14", "--format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out, "\n")
	if lines[0] != "file,size,check,sha256,source,where found,path" {
		t.Errorf("header %q", lines[0])
	}
	wantRows := []string{
		"train.de,?,first use,-,(not downloadable: ", ",cache," + filepath.Join(cache, "iwslt14", "train.de"),
		"test.en,659.1 kB,sha256,2acf38d4de6ba944fc077218ccae8609bec9d75380cf5ec7e3c2ebefcf84f2bb,", ",missing,-",
	}
	for _, w := range wantRows {
		if !strings.Contains(out, w) {
			t.Errorf("csv lacks %q:\n%s", w, out)
		}
	}
}

func TestDataPath(t *testing.T) {
	emptyDataEnv(t)
	mirror := t.TempDir()
	t.Setenv("ZOO_DATA", mirror)
	want := filepath.Join(mirror, "iwslt14", "valid.en")
	writeDataFile(t, want, "a sentence .\n")
	out, err := runZoo(t, "", "data", "path", "iwslt14", "valid.en")
	if err != nil || out != want+"\n" {
		t.Errorf("zoo data path = %q, %v; want %s", out, err, want)
	}
}

func TestDataGetDownloads(t *testing.T) {
	files := map[string]string{"/a.txt": "a line\n", "/p1": "one", "/p2": "two\n"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(body))
	}))
	defer srv.Close()
	cache := t.TempDir()
	useDataStore(t, dataset.Store{Cache: cache, Catalogue: dataset.Catalogue{{Name: "toy", Files: []dataset.File{
		{Name: "a.txt", Parts: []dataset.Source{{URL: srv.URL + "/a.txt"}}, SHA256: hexSHA("a line\n")},
		{Name: "joined.txt", Parts: []dataset.Source{{URL: srv.URL + "/p1"}, {URL: srv.URL + "/p2"}}},
	}}}})

	out, err := runZoo(t, "", "data", "get", "toy")
	if err != nil {
		t.Fatal(err)
	}
	want := "toy/a.txt: wrote " + filepath.Join(cache, "toy", "a.txt") + " (sha256 verified)\n" +
		"toy/joined.txt: wrote " + filepath.Join(cache, "toy", "joined.txt") + " (no published checksum: sha256 recorded in " +
		filepath.Join(cache, "toy", "SHA256SUMS") + " (trust on first use))\n" +
		"  sha256 " + hexSHA("one\ntwo\n") + "\n"
	if out != want {
		t.Errorf("first get printed\n%s\nwant\n%s", out, want)
	}
	out, err = runZoo(t, "", "data", "get", "toy")
	if err != nil || !strings.Contains(out, "toy/joined.txt: found in cache") || !strings.Contains(out, "matches SHA256SUMS") {
		t.Errorf("second get: %v\n%s", err, out)
	}
}

func TestDataErrors(t *testing.T) {
	emptyDataEnv(t)
	cases := []struct {
		args  []string
		usage bool
		want  string
	}{
		{[]string{"data", "get"}, true, "requires at least 1 arg"},
		{[]string{"data", "get", "mult30k"}, true, `unknown data set "mult30k" (did you mean "multi30k"?)`},
		{[]string{"data", "path", "multi30k"}, true, "accepts 2 arg(s)"},
		{[]string{"data", "path", "wmt14", "newstest2014.eng"}, true, `(did you mean "newstest2014.en"?)`},
		{[]string{"data", "list", "--format", "xml"}, true, `format "xml"`},
		{[]string{"data", "lst"}, true, `(did you mean "list"?)`},
		{[]string{"data", "path", "multi30k", "train.de.gz"}, false, "to get it: zoo data get multi30k"},
		{[]string{"data", "get", "iwslt14"}, false, "prepare-iwslt14.sh"},
		{[]string{"data", "get", "cifar10-jpg"}, false, "set ZOO_DATA"},
	}
	for _, c := range cases {
		_, err := runZoo(t, "", c.args...)
		if err == nil {
			t.Errorf("%v: no error", c.args)
			continue
		}
		var u usageError
		if errors.As(err, &u) != c.usage {
			t.Errorf("%v: usage error %v, want %v (%v)", c.args, !c.usage, c.usage, err)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %q lacks %q", c.args, err, c.want)
		}
	}
}

func writeDataFile(t *testing.T, name, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
