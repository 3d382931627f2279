package dataset

import (
	"bufio"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ManifestName is the file next to a data set's cached files that records
// their sha256s, in sha256sum's format so that `sha256sum -c` can read it.
const ManifestName = "SHA256SUMS"

// manifest maps file names to hex sha256s.
type manifest map[string]string

func readManifest(dir string) (manifest, error) {
	m := manifest{}
	f, err := os.Open(filepath.Join(dir, ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if ok && len(sum) == sha256.Size*2 {
			m[name] = sum
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return m, nil
}

// write replaces the manifest atomically, so that an interrupted Get
// never leaves half a manifest (which would look like changed files).
func (m manifest) write(dir string) error {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s  %s\n", m[n], n)
	}
	return writeAtomic(filepath.Join(dir, ManifestName), strings.NewReader(b.String()))
}

// writeAtomic writes r to a temporary file next to name and renames it.
func writeAtomic(name string, r io.Reader) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return err
	}
	err = tmp.Chmod(0o644) // os.CreateTemp makes 0600
	if err == nil {
		_, err = io.Copy(tmp, r)
	}
	if err = errors.Join(err, tmp.Close()); err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// fileSum returns the hex digest of a file under algo ("sha256" or "md5").
func fileSum(name, algo string) (string, error) {
	var h hash.Hash
	switch algo {
	case "sha256":
		h = sha256.New()
	case "md5":
		h = md5.New()
	default:
		return "", fmt.Errorf("unknown checksum %q", algo)
	}
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ChecksumError reports content that does not match its recorded checksum.
type ChecksumError struct {
	File      string // dataset/file, or the download's URL
	Algo      string // "sha256" or "md5"
	Want, Got string
	// Why says where Want comes from and what happened to the bad copy.
	Why string
}

// Error names the file and both checksums.
func (e *ChecksumError) Error() string {
	return fmt.Sprintf("%s: %s mismatch: expected %s, got %s (%s)", e.File, e.Algo, e.Want, e.Got, e.Why)
}
