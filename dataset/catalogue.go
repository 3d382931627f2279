package dataset

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/zoo-nn/zoo/registry"
)

// Spec describes one named data set.
type Spec struct {
	Name        string
	Description string
	// Source says where the data comes from and whom to cite, in one line.
	Source string
	// Mirror is the directory under $ZOO_DATA holding the files when it is
	// not Name (cifar10-jpg's archive sits in the mirror's cifar10/).
	Mirror string
	// SystemDir is where a system package installs the files, if one does.
	SystemDir string
	// Install tells the user how to obtain files that have no Sources,
	// which Get cannot download. "{dir}" stands for the cache directory of
	// the data set.
	Install string
	Files   []File
}

// File is one file (or, with Dir, one directory tree) of a data set.
type File struct {
	// Name is the path below the data set's directory: "train.de.gz".
	Name string
	// Parts are concatenated in order to make the file; text parts are
	// joined with a newline where one lacks a final newline, so that lines
	// never merge. No parts: Get cannot make the file (see Spec.Install).
	Parts []Source
	// SHA256 is the hex sha256 of the final file, "" where none is known.
	SHA256 string
	// Size is the final file's length in bytes, 0 where unknown.
	Size int64
	// Dir marks a directory unpacked from an archive member prefix; it has
	// no checksum of its own (its archive's is checked).
	Dir bool
}

// Source is where one part of a file comes from.
type Source struct {
	// URL is the canonical download; for archives, the archive's URL.
	URL string
	// Local names another file of the same data set to read instead of a
	// URL (an archive that only the mirror has).
	Local string
	// MD5 and SHA256 are the published checksums of the download itself
	// (the archive, before extraction), where known.
	MD5, SHA256 string
	// Member is the path inside a tar archive (gzip-compressed or not);
	// for a Dir file, a prefix ending in "/". Empty: the download is the
	// content.
	Member    string
	Transform Transform
}

// String is the URL (or local file) and member, as docs and errors show it.
func (s Source) String() string {
	from := s.URL
	if from == "" {
		from = s.Local
	}
	if s.Member != "" {
		from += " member " + s.Member
	}
	if s.Transform != Copy {
		from += " (" + string(s.Transform) + ")"
	}
	return from
}

// Check is how a file's content is verified.
type Check string

const (
	// CheckSHA256: the catalogue records the file's sha256.
	CheckSHA256 Check = "sha256"
	// CheckArchive: every part comes from an archive with a published
	// checksum; the extraction is deterministic.
	CheckArchive Check = "archive checksum"
	// CheckFirstUse: no checksum is known; the first copy's sha256 is
	// recorded in SHA256SUMS and later copies must match it.
	CheckFirstUse Check = "first use"
)

// Check says how f's content is verified.
func (f File) Check() Check {
	if f.SHA256 != "" {
		return CheckSHA256
	}
	if len(f.Parts) == 0 {
		return CheckFirstUse
	}
	for _, p := range f.Parts {
		if p.MD5 == "" && p.SHA256 == "" {
			return CheckFirstUse
		}
	}
	return CheckArchive
}

// File returns the file called name, or an error listing the known ones.
func (s Spec) File(name string) (File, error) {
	names := make([]string, len(s.Files))
	for i, f := range s.Files {
		if f.Name == name {
			return f, nil
		}
		names[i] = f.Name
	}
	msg := fmt.Sprintf("data set %s has no file %q", s.Name, name)
	if c := closest(name, names); c != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", c)
	}
	return File{}, fmt.Errorf("%s; its files: %s", msg, strings.Join(names, ", "))
}

// Size is the total of the files' known sizes; complete is false when
// some size is unknown.
func (s Spec) Size() (total int64, complete bool) {
	complete = true
	for _, f := range s.Files {
		if f.Size == 0 {
			complete = false
		}
		total += f.Size
	}
	return total, complete
}

func (s Spec) mirrorDir() string {
	if s.Mirror != "" {
		return s.Mirror
	}
	return s.Name
}

// Catalogue is a list of data sets, looked up by name.
type Catalogue []Spec

// ErrUnknown matches (errors.Is) the error for a name no Spec has.
var ErrUnknown = errors.New("unknown data set")

// UnknownError is Lookup's error: the name, the closest known name ("" if
// none is close) and all known names.
type UnknownError struct {
	Name, Suggestion string
	Known            []string
}

// Error names the unknown data set, the suggestion and the known ones.
func (e *UnknownError) Error() string {
	msg := fmt.Sprintf("%v %q", ErrUnknown, e.Name)
	if e.Suggestion != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", e.Suggestion)
	}
	return msg + "; known: " + strings.Join(e.Known, ", ")
}

// Is makes errors.Is(err, ErrUnknown) true.
func (e *UnknownError) Is(target error) bool { return target == ErrUnknown }

// Lookup returns the Spec called name, or an *UnknownError.
func (c Catalogue) Lookup(name string) (Spec, error) {
	for _, s := range c {
		if s.Name == name {
			return s, nil
		}
	}
	return Spec{}, &UnknownError{Name: name, Suggestion: closest(name, c.Names()), Known: c.Names()}
}

// Names lists the data sets in catalogue order.
func (c Catalogue) Names() []string {
	out := make([]string, len(c))
	for i, s := range c {
		out[i] = s.Name
	}
	return out
}

// Lookup finds name in the built-in catalogue.
func Lookup(name string) (Spec, error) { return Builtin.Lookup(name) }

// validate reports catalogue mistakes that would only surface at download
// time: duplicate names, unsafe file names, sources without a place.
func (c Catalogue) validate() error {
	var errs []error
	seen := map[string]bool{}
	for _, s := range c {
		if seen[s.Name] {
			errs = append(errs, fmt.Errorf("data set %s listed twice", s.Name))
		}
		seen[s.Name] = true
		files := map[string]bool{}
		for _, f := range s.Files {
			if files[f.Name] || !safeRel(f.Name) {
				errs = append(errs, fmt.Errorf("%s/%s: duplicate or unsafe file name", s.Name, f.Name))
			}
			files[f.Name] = true
			for _, p := range f.Parts {
				if (p.URL == "") == (p.Local == "") {
					errs = append(errs, fmt.Errorf("%s/%s: a source needs exactly one of URL and Local", s.Name, f.Name))
				}
				if f.Dir && !strings.HasSuffix(p.Member, "/") {
					errs = append(errs, fmt.Errorf("%s/%s: a directory needs a member prefix ending in /", s.Name, f.Name))
				}
			}
			if len(f.Parts) == 0 && s.Install == "" {
				errs = append(errs, fmt.Errorf("%s/%s: no sources and no install hint", s.Name, f.Name))
			}
		}
	}
	return errors.Join(errs...)
}

// safeRel reports whether name stays below the directory it is joined to.
func safeRel(name string) bool {
	return name != "" && !path.IsAbs(name) && path.Clean(name) == name &&
		name != ".." && !strings.HasPrefix(name, "../")
}

// closest returns the candidate nearest to name if it is a plausible
// typo, "" otherwise (the registry's rule, shared by every zoo name).
func closest(name string, candidates []string) string {
	if c := registry.Closest(name, candidates, 1); len(c) > 0 {
		return c[0]
	}
	return ""
}
