package dataset

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// tarFile is an open tar archive, gzip-compressed or not (told apart by
// the gzip magic number, not by the file name).
type tarFile struct {
	*tar.Reader
	f *os.File
	z *gzip.Reader
}

func openTar(name string) (*tarFile, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(f, 1<<16)
	t := &tarFile{f: f}
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		if t.z, err = gzip.NewReader(br); err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		r = t.z
	}
	t.Reader = tar.NewReader(r)
	return t, nil
}

// Close closes the decompressor and the file.
func (t *tarFile) Close() error {
	if t.z != nil {
		t.z.Close()
	}
	return t.f.Close()
}

// memberName normalizes a tar header name: archives made with "tar c ."
// prefix every name with "./".
func memberName(h *tar.Header) string { return strings.TrimPrefix(h.Name, "./") }

// openMember returns a reader over the regular file member of archive.
func openMember(archive, member string) (io.ReadCloser, error) {
	t, err := openTar(archive)
	if err != nil {
		return nil, err
	}
	for {
		h, err := t.Next()
		if err == io.EOF {
			t.Close()
			return nil, fmt.Errorf("%s has no member %s", archive, member)
		}
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("%s: %w", archive, err)
		}
		if memberName(h) == member && h.Typeflag == tar.TypeReg {
			return struct {
				io.Reader
				io.Closer
			}{t, t}, nil
		}
	}
}

// unpackDir extracts the regular files under prefix (which ends in "/")
// into the empty directory dir and returns how many it wrote.
// Names that would escape dir are an error, links are skipped: an archive
// must not write outside the cache.
func unpackDir(archive, prefix, dir string) (int, error) {
	t, err := openTar(archive)
	if err != nil {
		return 0, err
	}
	defer t.Close()
	n := 0
	for {
		h, err := t.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, fmt.Errorf("%s: %w", archive, err)
		}
		name := memberName(h)
		if !strings.HasPrefix(name, prefix) || h.Typeflag != tar.TypeReg {
			continue
		}
		rel := strings.TrimPrefix(name, prefix)
		if !safeRel(rel) || path.Clean(rel) != rel {
			return n, fmt.Errorf("%s: member %q leaves its directory", archive, name)
		}
		if err := writeMember(filepath.Join(dir, filepath.FromSlash(rel)), t); err != nil {
			return n, fmt.Errorf("%s member %s: %w", archive, name, err)
		}
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("%s has no files under %s", archive, prefix)
	}
	return n, nil
}

func writeMember(dst string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	return errors.Join(err, f.Close())
}
