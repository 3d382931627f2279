package images

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // registers JPEG with image.Decode
	_ "image/png"  // registers PNG with image.Decode
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// ReadFolder reads root/<class>/<file> images, where file ends in .jpg,
// .jpeg or .png (any case; other files are ignored). The classes are the
// subfolder names in sorted order and the images of a class are in sorted
// file-name order, so the set is the same however the files were
// written. Images are decoded in parallel (runtime.NumCPU() goroutines) by
// content, not by extension. The set is RGB (C = 3): grey images are
// repeated over the three channels and alpha is dropped. Every image must
// have the size of the first.
func ReadFolder(root string) (*Set, error) {
	files, labels, classes, err := listFolder(root)
	if err != nil {
		return nil, err
	}
	first, err := decodeFile(files[0])
	if err != nil {
		return nil, err
	}
	b := first.Bounds()
	s := &Set{Name: filepath.Base(filepath.Clean(root)), N: len(files), C: 3, H: b.Dy(), W: b.Dx(),
		Labels: labels, Classes: classes}
	s.Pixels = make([]uint8, s.N*s.C*s.H*s.W)
	toCHW(first, s.Image(0), s.H, s.W)
	if err := decodeAll(s, files); err != nil {
		return nil, err
	}
	return s, nil
}

// listFolder returns the image files under root's class folders in order,
// their labels and the class names.
func listFolder(root string) (files []string, labels []int32, classes []string, err error) {
	entries, err := os.ReadDir(root) // sorted by name
	if err != nil {
		return nil, nil, nil, err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		imgs, err := imageFiles(dir)
		if err != nil {
			return nil, nil, nil, err
		}
		if len(imgs) == 0 {
			return nil, nil, nil, fmt.Errorf("%s: class folder with no .jpg, .jpeg or .png files", dir)
		}
		for _, f := range imgs {
			files = append(files, f)
			labels = append(labels, int32(len(classes)))
		}
		classes = append(classes, e.Name())
	}
	if len(classes) == 0 {
		return nil, nil, nil, fmt.Errorf("%s: no class folders, want %s/<class>/*.jpg|*.jpeg|*.png", root, root)
	}
	return files, labels, classes, nil
}

// imageFiles lists dir's JPEG and PNG files in name order.
func imageFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".jpg", ".jpeg", ".png":
			if e.Type().IsRegular() || e.Type()&os.ModeSymlink != 0 {
				out = append(out, filepath.Join(dir, e.Name()))
			}
		}
	}
	return out, nil
}

// decodeAll decodes files[1:] into s in parallel. On failure it stops the
// workers and reports the failing file that comes first in order among
// those seen, so that one bad file gives one clear error.
func decodeAll(s *Set, files []string) error {
	var (
		next   atomic.Int64
		failed atomic.Bool
		wg     sync.WaitGroup
		errs   = make([]error, len(files))
	)
	next.Store(1)
	for range min(runtime.NumCPU(), len(files)) {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				if errs[i] = decodeInto(s, files[i], files[0], i); errs[i] != nil {
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// decodeInto decodes one file into image i of s, which must match the
// size of the first file.
func decodeInto(s *Set, file, first string, i int) error {
	img, err := decodeFile(file)
	if err != nil {
		return err
	}
	if b := img.Bounds(); b.Dx() != s.W || b.Dy() != s.H {
		return fmt.Errorf("%s: image is %dx%d (width x height), want %dx%d like %s: every image must have the same size",
			file, b.Dx(), b.Dy(), s.W, s.H, first)
	}
	toCHW(img, s.Image(i), s.H, s.W)
	return nil
}

func decodeFile(file string) (image.Image, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: cannot decode as JPEG or PNG: %w", file, err)
	}
	return img, nil
}

// toCHW writes img's RGB values into dst as three planes. The decoders'
// usual types are read from their pixel arrays; others go through At.
func toCHW(img image.Image, dst []uint8, h, w int) {
	plane := h * w
	r, g, bl := dst[:plane], dst[plane:2*plane], dst[2*plane:3*plane]
	b := img.Bounds()
	switch m := img.(type) {
	case *image.YCbCr: // JPEG colour
		for y := range h {
			for x := range w {
				yi, ci := m.YOffset(b.Min.X+x, b.Min.Y+y), m.COffset(b.Min.X+x, b.Min.Y+y)
				j := y*w + x
				r[j], g[j], bl[j] = color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
			}
		}
	case *image.Gray: // JPEG and PNG grey
		for y := range h {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			copy(r[y*w:], row)
			copy(g[y*w:], row)
			copy(bl[y*w:], row)
		}
	case *image.RGBA: // opaque PNG
		rgba(m.Pix, m.Stride, r, g, bl, h, w)
	case *image.NRGBA: // PNG with alpha: the stored colour, alpha dropped
		rgba(m.Pix, m.Stride, r, g, bl, h, w)
	default:
		for y := range h {
			for x := range w {
				c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				j := y*w + x
				r[j], g[j], bl[j] = c.R, c.G, c.B
			}
		}
	}
}

// rgba splits 4-byte RGBA pixels into planes.
func rgba(pix []uint8, stride int, r, g, b []uint8, h, w int) {
	for y := range h {
		row := pix[y*stride : y*stride+4*w]
		for x := range w {
			j := y*w + x
			r[j], g[j], b[j] = row[4*x], row[4*x+1], row[4*x+2]
		}
	}
}

// readFolderFrom reads train/ and test/, which must have the same classes
// (a label is an index into them).
func readFolderFrom(src source, _ string) (train, test *Set, err error) {
	trainDir, err := src.path("train")
	if err != nil {
		return nil, nil, err
	}
	testDir, err := src.path("test")
	if err != nil {
		return nil, nil, err
	}
	if train, err = ReadFolder(trainDir); err != nil {
		return nil, nil, err
	}
	if test, err = ReadFolder(testDir); err != nil {
		return nil, nil, err
	}
	if !slices.Equal(train.Classes, test.Classes) {
		return nil, nil, fmt.Errorf("%s has classes %v but %s has %v; want the same class folders", testDir, test.Classes, trainDir, train.Classes)
	}
	if train.H != test.H || train.W != test.W {
		return nil, nil, fmt.Errorf("%s holds %dx%d images but %s %dx%d; want one size", testDir, test.W, test.H, trainDir, train.W, train.H)
	}
	return train, test, nil
}
