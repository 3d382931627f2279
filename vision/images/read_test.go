package images

import (
	"image"
	"image/color"
	"path/filepath"
	"slices"
	"testing"
)

// checkPattern compares image i of s with the pattern of image want.
func checkPattern(t *testing.T, s *Set, i, want int) {
	t.Helper()
	img := s.Image(i)
	for c := range s.C {
		for y := range s.H {
			for x := range s.W {
				if got, w := img[(c*s.H+y)*s.W+x], pixel(want, c, y, x); got != w {
					t.Fatalf("%s image %d (c=%d, y=%d, x=%d) = %d, want %d", s.Name, i, c, y, x, got, w)
				}
			}
		}
	}
}

func checkShape(t *testing.T, s *Set, n, c, h, w int) {
	t.Helper()
	if s.N != n || s.C != c || s.H != h || s.W != w || len(s.Pixels) != n*c*h*w || len(s.Labels) != n {
		t.Fatalf("%s: shape %d×%d×%d×%d, %d bytes, %d labels; want %d×%d×%d×%d",
			s.Name, s.N, s.C, s.H, s.W, len(s.Pixels), len(s.Labels), n, c, h, w)
	}
}

func TestReadCIFAR10(t *testing.T) {
	for _, tc := range []struct {
		name    string
		meta    string // batches.meta.txt, "" for none
		classes []string
	}{
		{"standard names", "", CIFAR10Classes},
		{"batches.meta.txt", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n\n", []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeCIFAR10(t, t.TempDir(), 3, 4)
			if tc.meta != "" {
				writeFile(t, filepath.Join(dir, "batches.meta.txt"), []byte(tc.meta))
			}
			train, test, err := ReadCIFAR10(dir)
			if err != nil {
				t.Fatal(err)
			}
			checkShape(t, train, 15, 3, 32, 32)
			checkShape(t, test, 4, 3, 32, 32)
			// Image 7 (the second record of data_batch_3) in CHW order,
			// checked at one known byte as well as everywhere.
			if got := train.Pixels[7*3072+1*1024+2*32+3]; got != pixel(7, 1, 2, 3) {
				t.Errorf("train image 7 green (2, 3) = %d, want %d", got, pixel(7, 1, 2, 3))
			}
			for i := range 15 {
				checkPattern(t, train, i, i)
				if train.Labels[i] != int32(i%10) {
					t.Errorf("train label %d = %d, want %d", i, train.Labels[i], i%10)
				}
			}
			checkPattern(t, test, 3, 18)
			if !slices.Equal(train.Classes, tc.classes) || !slices.Equal(test.Classes, tc.classes) {
				t.Errorf("classes %v / %v, want %v", train.Classes, test.Classes, tc.classes)
			}
		})
	}
}

func TestReadCIFAR100(t *testing.T) {
	for _, tc := range []struct {
		name     string
		label    string
		names    bool // write the label-names files
		nClasses int
		labelOf  func(i int) int32
		class0   string
	}{
		{"default is fine", "", false, 100, func(i int) int32 { return int32(i * 7 % 100) }, "0"},
		{"fine with names", "fine", true, 100, func(i int) int32 { return int32(i * 7 % 100) }, "fine0"},
		{"coarse", "coarse", false, 20, func(i int) int32 { return int32(i % 20) }, "0"},
		{"coarse with names", "coarse", true, 20, func(i int) int32 { return int32(i % 20) }, "coarse0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeCIFAR100(t, t.TempDir(), 25, 5)
			if tc.names {
				for _, kind := range []string{"fine", "coarse"} {
					n := map[string]int{"fine": 100, "coarse": 20}[kind]
					var b []byte
					for i := range n {
						b = append(b, kind+string(rune('0'+i%10))+"\n"...)
					}
					writeFile(t, filepath.Join(dir, kind+"_label_names.txt"), b)
				}
			}
			train, test, err := ReadCIFAR100(dir, tc.label)
			if err != nil {
				t.Fatal(err)
			}
			checkShape(t, train, 25, 3, 32, 32)
			checkShape(t, test, 5, 3, 32, 32)
			checkPattern(t, train, 24, 24)
			checkPattern(t, test, 2, 27)
			for i := range 25 {
				if train.Labels[i] != tc.labelOf(i) {
					t.Fatalf("label %d = %d, want %d", i, train.Labels[i], tc.labelOf(i))
				}
			}
			if test.Labels[4] != tc.labelOf(29) {
				t.Errorf("test label 4 = %d, want %d", test.Labels[4], tc.labelOf(29))
			}
			if len(train.Classes) != tc.nClasses || train.Classes[0] != tc.class0 {
				t.Errorf("%d classes starting %q, want %d starting %q", len(train.Classes), train.Classes[0], tc.nClasses, tc.class0)
			}
		})
	}
}

func TestReadIDX(t *testing.T) {
	imgs, labels := idxPair(12, 28, 28)
	for _, tc := range []struct {
		name                 string
		imgName, labName     string
		imgBytes, labelBytes []byte
	}{
		{"raw", "images", "labels", imgs, labels},
		{"gzip", "images.gz", "labels.gz", gz(t, imgs), gz(t, labels)},
		// Compression is told by the magic bytes, not by the name.
		{"gzip under a plain name", "images", "labels", gz(t, imgs), gz(t, labels)},
		{"raw under a .gz name", "images.gz", "labels.gz", imgs, labels},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := ReadIDX(writeFile(t, filepath.Join(dir, tc.imgName), tc.imgBytes),
				writeFile(t, filepath.Join(dir, tc.labName), tc.labelBytes))
			if err != nil {
				t.Fatal(err)
			}
			checkShape(t, s, 12, 1, 28, 28)
			for i := range 12 {
				checkPattern(t, s, i, i)
				if s.Labels[i] != int32(i%10) {
					t.Fatalf("label %d = %d, want %d", i, s.Labels[i], i%10)
				}
			}
			if !slices.Equal(s.Classes, numberNames(10)) {
				t.Errorf("classes %v, want 0..9", s.Classes)
			}
		})
	}
}

// writeFolder writes root/cat (two PNGs), root/dog (a grey PNG, an
// upper-case .PNG and a text file to ignore) and root/emu (two JPEGs),
// each 8 wide and 6 high.
func writeFolder(t *testing.T, root string) {
	t.Helper()
	encode(t, filepath.Join(root, "cat", "b.png"), patternImage(1, 8, 6))
	encode(t, filepath.Join(root, "cat", "a.png"), patternImage(0, 8, 6))
	grey := image.NewGray(image.Rect(0, 0, 8, 6))
	for i := range grey.Pix {
		grey.Pix[i] = uint8(i * 5)
	}
	encode(t, filepath.Join(root, "dog", "0.png"), grey)
	encode(t, filepath.Join(root, "dog", "1.PNG"), patternImage(3, 8, 6))
	writeFile(t, filepath.Join(root, "dog", "notes.txt"), []byte("not an image"))
	encode(t, filepath.Join(root, "emu", "x.jpg"), smoothImage(8, 6))
	encode(t, filepath.Join(root, "emu", "y.JPEG"), smoothImage(8, 6))
}

func TestReadFolder(t *testing.T) {
	root := t.TempDir()
	writeFolder(t, root)
	s, err := ReadFolder(root)
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, s, 6, 3, 6, 8)
	if !slices.Equal(s.Classes, []string{"cat", "dog", "emu"}) {
		t.Errorf("classes %v, want cat dog emu", s.Classes)
	}
	if want := []int32{0, 0, 1, 1, 2, 2}; !slices.Equal(s.Labels, want) {
		t.Errorf("labels %v, want %v", s.Labels, want)
	}
	// PNG is lossless: exact pixels, in sorted file order.
	checkPattern(t, s, 0, 0)
	checkPattern(t, s, 1, 1)
	checkPattern(t, s, 3, 3)
	// Grey is repeated over the three channels.
	for c := range 3 {
		for j := range 48 {
			if got := s.Image(2)[c*48+j]; got != uint8(j*5) {
				t.Fatalf("grey image channel %d pixel %d = %d, want %d", c, j, got, j*5)
			}
		}
	}
	// JPEG is lossy: within a few levels on average of a smooth image.
	want := smoothImage(8, 6)
	for _, i := range []int{4, 5} {
		var sum, worst int
		for c := range 3 {
			for y := range 6 {
				for x := range 8 {
					r, g, b, _ := want.At(x, y).RGBA()
					w := int([]uint32{r, g, b}[c] >> 8)
					d := abs(int(s.Image(i)[(c*6+y)*8+x]) - w)
					sum, worst = sum+d, max(worst, d)
				}
			}
		}
		if mean := float64(sum) / 144; mean > 3 || worst > 16 {
			t.Errorf("JPEG image %d: mean error %.2f, worst %d levels; want at most 3 and 16", i, mean, worst)
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// TestToCHWTypes checks the pixel-array fast paths against image.At for
// each type the decoders return, including sub-images with offsets.
func TestToCHWTypes(t *testing.T) {
	src := patternImage(5, 12, 10)
	ycc := image.NewYCbCr(image.Rect(0, 0, 12, 10), image.YCbCrSubsampleRatio420)
	rgba := image.NewRGBA(src.Bounds())
	gray := image.NewGray(src.Bounds())
	pal := image.NewPaletted(src.Bounds(), color.Palette{color.Black, color.White, color.RGBA{200, 100, 50, 255}})
	for y := range 10 {
		for x := range 12 {
			c := src.NRGBAAt(x, y)
			rgba.SetRGBA(x, y, color.RGBA{c.R, c.G, c.B, 255})
			gray.SetGray(x, y, color.Gray{c.G})
			pal.SetColorIndex(x, y, uint8((x+y)%3))
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			ycc.Y[ycc.YOffset(x, y)] = yy
			ycc.Cb[ycc.COffset(x, y)], ycc.Cr[ycc.COffset(x, y)] = cb, cr
		}
	}
	sub := image.Rect(2, 3, 10, 9)
	for _, m := range []image.Image{src, rgba, gray, pal, ycc,
		src.SubImage(sub), rgba.SubImage(sub), gray.SubImage(sub), ycc.SubImage(sub)} {
		b := m.Bounds()
		dst := make([]uint8, 3*b.Dx()*b.Dy())
		toCHW(m, dst, b.Dy(), b.Dx())
		for y := range b.Dy() {
			for x := range b.Dx() {
				c := color.NRGBAModel.Convert(m.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				for ch, v := range []uint8{c.R, c.G, c.B} {
					if got := dst[(ch*b.Dy()+y)*b.Dx()+x]; got != v {
						t.Fatalf("%T %v: channel %d at (%d, %d) = %d, want %d", m, b, ch, x, y, got, v)
					}
				}
			}
		}
	}
}

func TestLoadFormatDir(t *testing.T) {
	for _, tc := range []struct {
		name, format, label string
		write               func(t *testing.T, dir string)
		train, test         int
		classes             int
		c, h, w             int
	}{
		{"cifar10", "cifar10-bin", "", func(t *testing.T, d string) { writeCIFAR10(t, d, 2, 3) }, 10, 3, 10, 3, 32, 32},
		{"cifar100 fine", "cifar100-bin", "", func(t *testing.T, d string) { writeCIFAR100(t, d, 7, 2) }, 7, 2, 100, 3, 32, 32},
		{"cifar100 coarse", "cifar100-bin", "coarse", func(t *testing.T, d string) { writeCIFAR100(t, d, 7, 2) }, 7, 2, 20, 3, 32, 32},
		{"idx gzip", "idx", "", func(t *testing.T, d string) { writeIDXDir(t, d, true, 9, 4) }, 9, 4, 10, 1, 28, 28},
		{"idx raw", "idx", "", func(t *testing.T, d string) { writeIDXDir(t, d, false, 9, 4) }, 9, 4, 10, 1, 28, 28},
		{"folder", "folder", "", func(t *testing.T, d string) {
			writeFolder(t, filepath.Join(d, "train"))
			writeFolder(t, filepath.Join(d, "test"))
		}, 6, 6, 3, 3, 6, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "mydata")
			tc.write(t, dir)
			train, test, err := Load(Config{Format: tc.format, Dir: dir, Label: tc.label})
			if err != nil {
				t.Fatal(err)
			}
			checkShape(t, train, tc.train, tc.c, tc.h, tc.w)
			checkShape(t, test, tc.test, tc.c, tc.h, tc.w)
			if len(train.Classes) != tc.classes || len(test.Classes) != tc.classes {
				t.Errorf("%d and %d classes, want %d", len(train.Classes), len(test.Classes), tc.classes)
			}
			if train.Name != "mydata" || test.Name != "mydata" {
				t.Errorf("names %q, %q; want the folder's, mydata", train.Name, test.Name)
			}
		})
	}
}

// TestLoadDatasetMirror resolves a catalogue data set through a mirror:
// cifar10-jpg's train/ and test/ are directories, which the catalogue
// takes from the mirror's cifar10/ without a checksum.
func TestLoadDatasetMirror(t *testing.T) {
	mirror := t.TempDir()
	writeFolder(t, filepath.Join(mirror, "cifar10", "train"))
	writeFolder(t, filepath.Join(mirror, "cifar10", "test"))
	t.Setenv("ZOO_DATA", mirror)
	t.Setenv("ZOO_CACHE", t.TempDir())
	for _, format := range []string{"", "folder"} {
		train, test, err := Load(Config{Dataset: "cifar10-jpg", Format: format})
		if err != nil {
			t.Fatal(err)
		}
		checkShape(t, train, 6, 3, 6, 8)
		checkShape(t, test, 6, 3, 6, 8)
		if train.Name != "cifar10-jpg" {
			t.Errorf("name %q, want cifar10-jpg", train.Name)
		}
	}
}
