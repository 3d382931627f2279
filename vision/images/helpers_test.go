package images

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pixel is the test pattern of image i: distinct per image, channel, row
// and column (mod 256), so a misplaced byte shows.
func pixel(i, c, y, x int) uint8 { return uint8(i*7 + c*50 + y*3 + x*11) }

// cifarRecord is one CIFAR record: labels, then the pattern of image i in
// CHW order (1024 R, 1024 G, 1024 B).
func cifarRecord(i int, labels ...byte) []byte {
	b := append([]byte{}, labels...)
	for c := range 3 {
		for y := range 32 {
			for x := range 32 {
				b = append(b, pixel(i, c, y, x))
			}
		}
	}
	return b
}

func writeFile(t *testing.T, path string, b []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeCIFAR10 writes five train batches of perBatch records and a test
// batch of testN, image i having label i%10; it returns the folder.
func writeCIFAR10(t *testing.T, dir string, perBatch, testN int) string {
	t.Helper()
	i := 0
	batch := func(n int) []byte {
		var b []byte
		for range n {
			b = append(b, cifarRecord(i, byte(i%10))...)
			i++
		}
		return b
	}
	for k := 1; k <= 5; k++ {
		writeFile(t, filepath.Join(dir, "data_batch_"+string(rune('0'+k))+".bin"), batch(perBatch))
	}
	writeFile(t, filepath.Join(dir, "test_batch.bin"), batch(testN))
	return dir
}

// writeCIFAR100 writes train.bin and test.bin; image i has coarse label
// i%20 and fine label (i*7)%100.
func writeCIFAR100(t *testing.T, dir string, trainN, testN int) string {
	t.Helper()
	i := 0
	file := func(n int) []byte {
		var b []byte
		for range n {
			b = append(b, cifarRecord(i, byte(i%20), byte(i*7%100))...)
			i++
		}
		return b
	}
	writeFile(t, filepath.Join(dir, "train.bin"), file(trainN))
	writeFile(t, filepath.Join(dir, "test.bin"), file(testN))
	return dir
}

// idxBytes encodes an unsigned-byte IDX file.
func idxBytes(magic uint32, dims []uint32, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	binary.Write(&b, binary.BigEndian, dims)
	b.Write(data)
	return b.Bytes()
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	if _, err := z.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// idxPair returns IDX images (n of rows×cols, pattern channel 0) and
// labels (i%10).
func idxPair(n, rows, cols int) (imgs, labels []byte) {
	var px []byte
	var lb []byte
	for i := range n {
		for y := range rows {
			for x := range cols {
				px = append(px, pixel(i, 0, y, x))
			}
		}
		lb = append(lb, byte(i%10))
	}
	return idxBytes(idxImages, []uint32{uint32(n), uint32(rows), uint32(cols)}, px),
		idxBytes(idxLabels, []uint32{uint32(n)}, lb)
}

// writeIDXDir writes the four MNIST files, compressed or not.
func writeIDXDir(t *testing.T, dir string, compress bool, trainN, testN int) string {
	t.Helper()
	put := func(name string, b []byte) {
		if compress {
			name, b = name+".gz", gz(t, b)
		}
		writeFile(t, filepath.Join(dir, name), b)
	}
	ti, tl := idxPair(trainN, 28, 28)
	put(idxTrainImages, ti)
	put(idxTrainLabels, tl)
	vi, vl := idxPair(testN, 28, 28)
	put(idxTestImages, vi)
	put(idxTestLabels, vl)
	return dir
}

// patternImage is an opaque RGB image of the pattern of image i.
func patternImage(i, w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetNRGBA(x, y, color.NRGBA{pixel(i, 0, y, x), pixel(i, 1, y, x), pixel(i, 2, y, x), 255})
		}
	}
	return m
}

// smoothImage varies slowly, which JPEG keeps within a few levels.
func smoothImage(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetRGBA(x, y, color.RGBA{uint8(40 + 4*x), uint8(60 + 3*y), uint8(100 + x + y), 255})
		}
	}
	return m
}

func encode(t *testing.T, path string, m image.Image) string {
	t.Helper()
	var b bytes.Buffer
	var err error
	if strings.HasSuffix(strings.ToLower(path), ".png") {
		err = png.Encode(&b, m)
	} else {
		err = jpeg.Encode(&b, m, &jpeg.Options{Quality: 95})
	}
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, path, b.Bytes())
}

// errContains fails unless err is non-nil and holds every part.
func errContains(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", parts)
	}
	t.Log(err)
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

// genSet is a set of n random-looking images (xorshift, fast enough for
// CIFAR's 150 MB) with labels i%classes.
func genSet(n, c, h, w, classes int) *Set {
	s := &Set{Name: "gen", N: n, C: c, H: h, W: w, Pixels: make([]uint8, n*c*h*w),
		Labels: make([]int32, n), Classes: numberNames(classes)}
	x := uint64(88172645463325252)
	for i := range s.Pixels {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		s.Pixels[i] = uint8(x)
	}
	for i := range s.Labels {
		s.Labels[i] = int32(i % classes)
	}
	return s
}
