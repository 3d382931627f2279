package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// GetOptions tunes Get. The zero value is ready to use.
type GetOptions struct {
	// Client makes the requests; nil means one with connection timeouts.
	Client *http.Client
	// Progress, if set, is called for every Event, on Get's goroutine.
	Progress func(Event)
	// Force makes files in the cache again even when present (mirror and
	// system copies are still used in place).
	Force bool
	// KeepDownloads keeps the downloaded archives in <cache>/<dataset>/
	// .download after success; they are always kept after a failure so
	// that the next Get resumes.
	KeepDownloads bool
	// StallTimeout aborts a download that receives nothing for this long;
	// 0 means 2 minutes.
	StallTimeout time.Duration
}

// EventKind tells the events of Get apart.
type EventKind int

const (
	// Found: the file already exists (Path, Where, Status).
	Found EventKind = iota
	// Downloading: a download starts (URL; Bytes is the resume offset,
	// Total the full length or -1).
	Downloading
	// Received: Bytes of Total have arrived.
	Received
	// Downloaded: the download is complete.
	Downloaded
	// Wrote: the file was made and checked (Path, SHA256, Status).
	Wrote
)

// Event reports Get's progress.
type Event struct {
	Kind          EventKind
	Dataset, File string
	URL           string
	Bytes, Total  int64
	Path          string
	Where         Where
	SHA256        string
	// Status says in words how the file was checked.
	Status string
	// FirstUse is true when the sha256 was recorded with nothing to check
	// it against: the caller should show it to the user.
	FirstUse bool
}

// Get makes every file of the named data set available, using the
// default store (see DefaultStore).
func Get(ctx context.Context, name string, opts GetOptions) error {
	return DefaultStore().Get(ctx, name, opts)
}

// Get makes every file of the named data set available: files already in
// the mirror, the system directory or the cache are checked and kept; the
// others are downloaded, extracted and transformed into the cache, each
// written to a temporary file, verified, then renamed. Files that no URL
// provides are reported together at the end with the instruction that
// provides them.
func (s Store) Get(ctx context.Context, name string, opts GetOptions) error {
	spec, err := s.Lookup(name)
	if err != nil {
		return err
	}
	if s.Cache == "" {
		return fmt.Errorf("get %s: no cache directory: set ZOO_CACHE", name)
	}
	g := &getter{s: s, spec: spec, opts: opts, dir: s.dir(spec), downloads: map[string]string{}}
	if err := os.MkdirAll(g.dir, 0o755); err != nil {
		return fmt.Errorf("get %s: %w", name, err)
	}
	if g.man, err = readManifest(g.dir); err != nil {
		return fmt.Errorf("get %s: %w", name, err)
	}
	return g.run(ctx)
}

// run makes or checks every file, going on past failures so that one dead
// URL or changed checksum does not hide the state of the others.
func (g *getter) run(ctx context.Context) error {
	var missing []string
	var errs []error
	for _, f := range g.spec.Files {
		if err := ctx.Err(); err != nil {
			return err
		}
		found, err := g.existing(f)
		switch {
		case err != nil:
			errs = append(errs, err)
		case found:
		case len(f.Parts) == 0:
			missing = append(missing, f.Name)
		default:
			if err := g.make(ctx, f); err != nil {
				if ctx.Err() != nil {
					return err
				}
				errs = append(errs, err)
			}
		}
	}
	if len(errs) == 0 && !g.opts.KeepDownloads {
		os.RemoveAll(g.downloadDir())
	}
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("%s: %s not found and cannot be downloaded; to get them: %s",
			g.spec.Name, strings.Join(missing, ", "), g.s.hint(g.spec, File{})))
	}
	return errors.Join(errs...)
}

// getter is the state of one Get: downloads are shared by the files that
// come from the same archive.
type getter struct {
	s         Store
	spec      Spec
	opts      GetOptions
	dir       string
	man       manifest
	downloads map[string]string // URL -> verified local copy
}

func (g *getter) emit(e Event) {
	if g.opts.Progress != nil {
		e.Dataset = g.spec.Name
		g.opts.Progress(e)
	}
}

func (g *getter) name(f File) string { return g.spec.Name + "/" + f.Name }

func (g *getter) downloadDir() string { return filepath.Join(g.dir, ".download") }

// existing reports whether f is already available, checking cached copies
// against the catalogue or the manifest.
func (g *getter) existing(f File) (bool, error) {
	loc, err := g.s.locate(g.spec, f)
	var miss *MissingError
	if errors.As(err, &miss) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	e := Event{Kind: Found, File: f.Name, Path: loc.Path, Where: loc.Where}
	switch {
	case loc.Where == InCache && g.opts.Force && len(f.Parts) > 0:
		return false, nil
	case loc.Where == InCache:
		if err := g.checkCached(f, loc.Path, &e); err != nil {
			return false, err
		}
	case loc.Verified:
		e.SHA256, e.Status = f.SHA256, "sha256 verified"
	case f.Dir:
		e.Status = "directory"
	default:
		e.Status = "unverified: no checksum known"
	}
	g.emit(e)
	return true, nil
}

// checkCached hashes a cached copy and compares it with the catalogue's
// sha256 or, lacking one, with the manifest's; with neither it records
// the copy's (first use).
func (g *getter) checkCached(f File, path string, e *Event) error {
	if f.Dir {
		e.Status = "unpacked"
		return nil
	}
	got, err := fileSum(path, "sha256")
	if err != nil {
		return fmt.Errorf("%s: %w", g.name(f), err)
	}
	e.SHA256 = got
	want, from := f.SHA256, "the catalogue"
	if want == "" {
		want, from = g.man[f.Name], filepath.Join(g.dir, ManifestName)
	}
	switch {
	case want == "":
		e.Status, e.FirstUse = "no checksum known: sha256 recorded now (trust on first use)", true
	case got != want:
		return &ChecksumError{File: g.name(f), Algo: "sha256", Want: want, Got: got,
			Why: fmt.Sprintf("cached copy %s differs from %s; delete it, or get with --force, to fetch it again", path, from)}
	case f.SHA256 != "":
		e.Status = "sha256 verified"
	default:
		e.Status = "sha256 matches " + ManifestName + " (recorded on first use)"
	}
	return g.record(f, got)
}

func (g *getter) record(f File, sum string) error {
	if g.man[f.Name] == sum {
		return nil
	}
	g.man[f.Name] = sum
	if err := g.man.write(g.dir); err != nil {
		return fmt.Errorf("%s: %w", g.name(f), err)
	}
	return nil
}

func (g *getter) make(ctx context.Context, f File) error {
	if f.Dir {
		return g.makeDir(ctx, f)
	}
	return g.makeFile(ctx, f)
}

// makeFile writes the parts of f through their transforms into a temporary
// file next to the final one, checks it and renames it into place.
func (g *getter) makeFile(ctx context.Context, f File) error {
	final := filepath.Join(g.dir, filepath.FromSlash(f.Name))
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return fmt.Errorf("%s: %w", g.name(f), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(final), "."+filepath.Base(final)+".tmp-*")
	if err != nil {
		return fmt.Errorf("%s: %w", g.name(f), err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	// os.CreateTemp makes 0600; data files are for every user.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("%s: %w", g.name(f), err)
	}
	h := sha256.New()
	w := &tailWriter{w: io.MultiWriter(tmp, h)}
	err = g.writeParts(ctx, w, f)
	if err = errors.Join(err, tmp.Close()); err != nil {
		return fmt.Errorf("%s: %w", g.name(f), err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err := g.checkMade(f, sum, w.n); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return fmt.Errorf("%s: %w", g.name(f), err)
	}
	e := Event{Kind: Wrote, File: f.Name, Path: final, Where: InCache, SHA256: sum}
	switch f.Check() {
	case CheckSHA256:
		e.Status = "sha256 verified"
	case CheckArchive:
		e.Status = "archive checksum verified; sha256 recorded in " + ManifestName
	default:
		e.Status = "no published checksum: sha256 recorded in " + filepath.Join(g.dir, ManifestName) + " (trust on first use)"
		e.FirstUse = true
	}
	if err := g.record(f, sum); err != nil {
		return err
	}
	g.emit(e)
	return nil
}

// writeParts concatenates the parts, adding a newline between two where
// the first lacks one: cat would merge their boundary lines.
func (g *getter) writeParts(ctx context.Context, w *tailWriter, f File) error {
	for _, p := range f.Parts {
		if w.n > 0 && w.last != '\n' {
			if _, err := w.Write([]byte{'\n'}); err != nil {
				return err
			}
		}
		if err := g.copyPart(ctx, w, f, p); err != nil {
			return err
		}
	}
	return nil
}

// checkMade compares a made file with the catalogue; the caller removes
// the temporary file on error, so a bad file is never kept.
func (g *getter) checkMade(f File, sum string, size int64) error {
	if f.SHA256 != "" && sum != f.SHA256 {
		return &ChecksumError{File: g.name(f), Algo: "sha256", Want: f.SHA256, Got: sum,
			Why: "from " + partsString(f) + "; not kept"}
	}
	if f.Size > 0 && size != f.Size {
		return fmt.Errorf("%s: %d bytes, want %d (from %s; not kept)", g.name(f), size, f.Size, partsString(f))
	}
	return nil
}

func partsString(f File) string {
	s := make([]string, len(f.Parts))
	for i, p := range f.Parts {
		s[i] = p.String()
	}
	return strings.Join(s, " + ")
}

func (g *getter) copyPart(ctx context.Context, w io.Writer, f File, p Source) error {
	src, err := g.source(ctx, f, p)
	if err != nil {
		return err
	}
	var r io.ReadCloser
	if p.Member != "" {
		r, err = openMember(src, p.Member)
	} else {
		r, err = os.Open(src)
	}
	if err != nil {
		return err
	}
	defer r.Close()
	return p.Transform.apply(w, r)
}

// makeDir unpacks an archive member prefix into a temporary directory and
// renames it into place, so an interrupted unpack is redone, not used.
func (g *getter) makeDir(ctx context.Context, f File) error {
	p := f.Parts[0]
	src, err := g.source(ctx, f, p)
	if err != nil {
		return fmt.Errorf("%s: %w", g.name(f), err)
	}
	final := filepath.Join(g.dir, filepath.FromSlash(f.Name))
	tmp, err := os.MkdirTemp(g.dir, "."+filepath.Base(final)+".tmp-*")
	if err != nil {
		return fmt.Errorf("%s: %w", g.name(f), err)
	}
	defer os.RemoveAll(tmp)
	n, err := unpackDir(src, p.Member, tmp)
	if err != nil {
		return fmt.Errorf("%s: %w", g.name(f), err)
	}
	if err := os.RemoveAll(final); err != nil {
		return fmt.Errorf("%s: %w", g.name(f), err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("%s: %w", g.name(f), err)
	}
	g.emit(Event{Kind: Wrote, File: f.Name, Path: final, Where: InCache,
		Status: fmt.Sprintf("%d files unpacked from %s", n, p.Local+p.URL)})
	return nil
}

// source returns a local path holding p's bytes: another file of the data
// set, or a verified download.
func (g *getter) source(ctx context.Context, f File, p Source) (string, error) {
	if p.Local != "" {
		lf, err := g.spec.File(p.Local)
		if err != nil {
			return "", err
		}
		loc, err := g.s.locate(g.spec, lf)
		if err != nil {
			return "", fmt.Errorf("%s needs %s: %w", g.name(f), p.Local, err)
		}
		return loc.Path, nil
	}
	if path, ok := g.downloads[p.URL]; ok {
		return path, nil
	}
	path, err := g.download(ctx, f, p)
	if err != nil {
		return "", err
	}
	g.downloads[p.URL] = path
	return path, nil
}

// tailWriter counts bytes and remembers the last one written.
type tailWriter struct {
	w    io.Writer
	n    int64
	last byte
}

// Write passes b on and updates the count and last byte.
func (t *tailWriter) Write(b []byte) (int, error) {
	n, err := t.w.Write(b)
	if n > 0 {
		t.n += int64(n)
		t.last = b[n-1]
	}
	return n, err
}
