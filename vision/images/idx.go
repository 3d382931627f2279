package images

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// IDX magic numbers: two zero bytes, the element type (0x08: unsigned
// byte) and the number of dimensions.
const (
	idxImages = 0x00000803 // N, rows, cols
	idxLabels = 0x00000801 // N
)

// idxClasses is the number of classes of MNIST and Fashion-MNIST.
const idxClasses = 10

// ReadIDX reads MNIST-style IDX files, gzip-compressed or not (told apart
// by the gzip magic bytes 1f 8b, not by the name): imagesPath with magic
// 0x00000803 and dimensions N, rows, cols; labelsPath with magic
// 0x00000801 and N labels in 0..9. The counts must agree and each file's
// length must be exactly what its header says. The Set has C = 1 and the
// classes "0".."9" (Load names Fashion-MNIST's).
func ReadIDX(imagesPath, labelsPath string) (*Set, error) {
	img, err := readMaybeGzip(imagesPath)
	if err != nil {
		return nil, err
	}
	dims, err := idxHeader(imagesPath, img, idxImages, 3, "images: N, rows, cols")
	if err != nil {
		return nil, err
	}
	lab, err := readMaybeGzip(labelsPath)
	if err != nil {
		return nil, err
	}
	ldims, err := idxHeader(labelsPath, lab, idxLabels, 1, "labels: N")
	if err != nil {
		return nil, err
	}
	if dims[0] != ldims[0] {
		return nil, fmt.Errorf("%s holds %d images but %s holds %d labels; want the same count", imagesPath, dims[0], labelsPath, ldims[0])
	}
	s := &Set{
		Name: strings.TrimSuffix(filepath.Base(imagesPath), ".gz"),
		N:    dims[0], C: 1, H: dims[1], W: dims[2],
		Pixels:  img[len(img)-dims[0]*dims[1]*dims[2]:],
		Labels:  make([]int32, dims[0]),
		Classes: numberNames(idxClasses),
	}
	for i, l := range lab[len(lab)-dims[0]:] {
		if l >= idxClasses {
			return nil, fmt.Errorf("%s: label %d of record %d out of range, want 0..%d", labelsPath, l, i, idxClasses-1)
		}
		s.Labels[i] = int32(l)
	}
	return s, nil
}

// idxHeader checks an unsigned-byte IDX file of ndim dimensions and
// returns them; the content must be exactly their product of bytes.
func idxHeader(path string, b []byte, magic uint32, ndim int, what string) ([]int, error) {
	head := 4 + 4*ndim
	if len(b) < head {
		return nil, fmt.Errorf("%s: %d bytes, too short for the %d-byte IDX header (magic 0x%08x, %s)", path, len(b), head, magic, what)
	}
	if got := binary.BigEndian.Uint32(b); got != magic {
		return nil, fmt.Errorf("%s: magic 0x%08x, want 0x%08x (IDX unsigned-byte %s)", path, got, magic, what)
	}
	dims := make([]int, ndim)
	want, fits := int64(1), true
	for i := range dims {
		d := int64(binary.BigEndian.Uint32(b[4+4*i:]))
		dims[i] = int(d)
		// Stop multiplying once the product exceeds the file: the
		// length check fails anyway, and 2^32-sized dimensions would
		// overflow.
		if fits = fits && (d == 0 || want <= int64(len(b))/d); fits {
			want *= d
		}
	}
	if got := int64(len(b) - head); !fits || got != want {
		w := fmt.Sprint(want)
		if !fits {
			w = "more than the file holds"
		}
		return nil, fmt.Errorf("%s: %d bytes after the header, want %s for dimensions %v (%s): truncated or corrupt",
			path, got, w, dims, what)
	}
	return dims, nil
}

// readMaybeGzip returns the file's content, decompressed if it starts with
// the gzip magic bytes.
func readMaybeGzip(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	if m, _ := br.Peek(2); len(m) < 2 || m[0] != 0x1f || m[1] != 0x8b {
		return io.ReadAll(br)
	}
	z, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		return nil, fmt.Errorf("%s: gzip: %w", path, err)
	}
	return b, nil
}

// The IDX file names of MNIST and Fashion-MNIST.
const (
	idxTrainImages = "train-images-idx3-ubyte"
	idxTrainLabels = "train-labels-idx1-ubyte"
	idxTestImages  = "t10k-images-idx3-ubyte"
	idxTestLabels  = "t10k-labels-idx1-ubyte"
)

func readIDXFrom(src source, _ string) (train, test *Set, err error) {
	var p [4]string
	for i, name := range []string{idxTrainImages, idxTrainLabels, idxTestImages, idxTestLabels} {
		if p[i], err = idxPath(src, name); err != nil {
			return nil, nil, err
		}
	}
	if train, err = ReadIDX(p[0], p[1]); err != nil {
		return nil, nil, err
	}
	if test, err = ReadIDX(p[2], p[3]); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// idxPath finds name.gz, or in a folder also name uncompressed (the
// catalogue lists the .gz files only).
func idxPath(src source, name string) (string, error) {
	p, err := src.path(name + ".gz")
	if err == nil || src.dataset != "" || !errors.Is(err, fs.ErrNotExist) {
		return p, err
	}
	if p, err := src.path(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s: neither %s.gz nor %s found: %w", src.dir, name, name, fs.ErrNotExist)
}
