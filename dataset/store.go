package dataset

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Store is where data sets are looked for and written.
type Store struct {
	// Catalogue lists the data sets; nil means Builtin.
	Catalogue Catalogue
	// Mirror is a read-only directory laid out as <dataset>/<file>; "" for
	// none.
	Mirror string
	// Cache is where Get writes <dataset>/<file>.
	Cache string
}

// DefaultStore reads the environment: $ZOO_DATA for the mirror, and for
// the cache $ZOO_CACHE, else $XDG_CACHE_HOME/zoo, else ~/.cache/zoo.
// Relative directories are made absolute, so that the paths it returns
// stay valid after a chdir and mean something in a run's records.
func DefaultStore() Store {
	return Store{Mirror: absDir(os.Getenv("ZOO_DATA")), Cache: absDir(defaultCache())}
}

func defaultCache() string {
	if d := os.Getenv("ZOO_CACHE"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "zoo")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".cache", "zoo")
	}
	return ""
}

func absDir(d string) string {
	if d == "" {
		return ""
	}
	if a, err := filepath.Abs(d); err == nil {
		return a
	}
	return d
}

func (s Store) catalogue() Catalogue {
	if s.Catalogue == nil {
		return Builtin
	}
	return s.Catalogue
}

// Lookup finds name in the store's catalogue.
func (s Store) Lookup(name string) (Spec, error) { return s.catalogue().Lookup(name) }

// Where says which of a Store's places holds a file.
type Where string

// The places a file can be found in, in the order they are tried.
const (
	InMirror Where = "mirror"
	InSystem Where = "system"
	InCache  Where = "cache"
)

// Location is where a file was found. Verified is true when its checksum
// was checked just now (mirror and system copies that have one); cached
// files were checked when Get wrote them and again on every Get.
type Location struct {
	Path     string
	Where    Where
	Verified bool
}

// Path returns the path of file in dataset, or an error (a *MissingError
// when the file is nowhere) that says where it looked and how to get it.
func Path(dataset, file string) (string, error) { return DefaultStore().Path(dataset, file) }

// Path returns the path of file in dataset; see the package function.
func (s Store) Path(dataset, file string) (string, error) {
	loc, err := s.Locate(dataset, file)
	return loc.Path, err
}

// Locate is Path with where the file was found.
func (s Store) Locate(dataset, file string) (Location, error) {
	spec, err := s.Lookup(dataset)
	if err != nil {
		return Location{}, err
	}
	f, err := spec.File(file)
	if err != nil {
		return Location{}, err
	}
	return s.locate(spec, f)
}

// dir is the cache directory of a data set.
func (s Store) dir(spec Spec) string { return filepath.Join(s.Cache, spec.Name) }

func (s Store) locate(spec Spec, f File) (Location, error) {
	type place struct {
		where Where
		path  string
	}
	var places []place
	if s.Mirror != "" {
		places = append(places, place{InMirror, filepath.Join(s.Mirror, spec.mirrorDir(), f.Name)})
	}
	if spec.SystemDir != "" {
		places = append(places, place{InSystem, filepath.Join(spec.SystemDir, f.Name)})
	}
	if s.Cache != "" {
		places = append(places, place{InCache, filepath.Join(s.dir(spec), f.Name)})
	}
	miss := &MissingError{Dataset: spec.Name, File: f.Name, Hint: s.hint(spec, f)}
	for _, p := range places {
		verified, why := usable(p.path, f, p.where != InCache)
		if why == "" {
			return Location{Path: p.path, Where: p.where, Verified: verified}, nil
		}
		miss.Looked = append(miss.Looked, fmt.Sprintf("%s (%s: %s)", p.path, p.where, why))
	}
	if s.Cache == "" {
		miss.Looked = append(miss.Looked, "no cache: set ZOO_CACHE or HOME")
	}
	return Location{}, miss
}

// usable checks a candidate copy; why is "" when it can be used. Copies
// outside the cache are hashed (they were never checked by Get); cached
// copies only have their size checked, since Get verified them.
func usable(name string, f File, hash bool) (verified bool, why string) {
	fi, err := os.Stat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, "absent"
	case err != nil:
		return false, err.Error()
	case f.Dir != fi.IsDir():
		return false, "wrong kind of file"
	case f.Dir:
		return false, ""
	case f.Size > 0 && fi.Size() != f.Size:
		return false, fmt.Sprintf("size %d, want %d", fi.Size(), f.Size)
	case !hash || f.SHA256 == "":
		return false, ""
	}
	got, err := cachedSum(name, fi)
	if err != nil {
		return false, err.Error()
	}
	if got != f.SHA256 {
		return false, fmt.Sprintf("sha256 %s, want %s", got, f.SHA256)
	}
	return true, ""
}

// sums memoizes mirror hashes within a process: a training run resolves
// the same files many times and the mirror is read-only.
var sums sync.Map

type sumKey struct {
	name  string
	size  int64
	mtime time.Time
}

func cachedSum(name string, fi fs.FileInfo) (string, error) {
	key := sumKey{name, fi.Size(), fi.ModTime()}
	if v, ok := sums.Load(key); ok {
		return v.(string), nil
	}
	sum, err := fileSum(name, "sha256")
	if err == nil {
		sums.Store(key, sum)
	}
	return sum, err
}

// hint is the command that makes a missing file available.
func (s Store) hint(spec Spec, f File) string {
	if len(f.Parts) > 0 {
		return "zoo data get " + spec.Name
	}
	return strings.ReplaceAll(spec.Install, "{dir}", s.dir(spec))
}

// MissingError reports a file found nowhere. It matches fs.ErrNotExist.
type MissingError struct {
	Dataset, File string
	// Looked lists each place tried and why it was not used.
	Looked []string
	// Hint is the command (or instruction) that provides the file.
	Hint string
}

// Error names the file, the places tried and the command that gets it.
func (e *MissingError) Error() string {
	return fmt.Sprintf("%s/%s not found; looked in %s; to get it: %s",
		e.Dataset, e.File, strings.Join(e.Looked, ", "), e.Hint)
}

// Is makes errors.Is(err, fs.ErrNotExist) true.
func (e *MissingError) Is(target error) bool { return target == fs.ErrNotExist }
