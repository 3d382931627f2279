package images

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/zoo-nn/zoo/dataset"
)

// TestBadInput checks that each kind of bad input is an error that names
// the file (or setting) and what was expected.
func TestBadInput(t *testing.T) {
	imgs, labels := idxPair(5, 28, 28)
	idxCase := func(img, lab []byte) func(t *testing.T, dir string) error {
		return func(t *testing.T, dir string) error {
			_, err := ReadIDX(writeFile(t, filepath.Join(dir, "imgs-idx3"), img), writeFile(t, filepath.Join(dir, "labs-idx1"), lab))
			return err
		}
	}
	folder := func(build func(t *testing.T, root string)) func(t *testing.T, dir string) error {
		return func(t *testing.T, dir string) error {
			build(t, dir)
			_, err := ReadFolder(dir)
			return err
		}
	}
	load := func(c Config) func(t *testing.T, dir string) error {
		return func(t *testing.T, dir string) error { _, _, err := Load(c); return err }
	}
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, dir string) error
		want []string
	}{
		{"cifar10 truncated", func(t *testing.T, dir string) error {
			writeCIFAR10(t, dir, 2, 2)
			p := filepath.Join(dir, "data_batch_3.bin")
			b, _ := os.ReadFile(p)
			writeFile(t, p, b[:len(b)-100])
			_, _, err := ReadCIFAR10(dir)
			return err
		}, []string{"data_batch_3.bin", "6046 bytes", "3073-byte", "1 label byte + 3072 pixel bytes"}},
		{"cifar10 label out of range", func(t *testing.T, dir string) error {
			writeCIFAR10(t, dir, 2, 2)
			writeFile(t, filepath.Join(dir, "test_batch.bin"), append(cifarRecord(0, 3), cifarRecord(1, 10)...))
			_, _, err := ReadCIFAR10(dir)
			return err
		}, []string{"test_batch.bin", "record 1", "label 10", "0..9"}},
		{"cifar10 batch missing", func(t *testing.T, dir string) error {
			writeCIFAR10(t, dir, 2, 2)
			os.Remove(filepath.Join(dir, "data_batch_5.bin"))
			_, _, err := ReadCIFAR10(dir)
			return err
		}, []string{"data_batch_5.bin", "not found"}},
		{"cifar10 meta with 9 names", func(t *testing.T, dir string) error {
			writeCIFAR10(t, dir, 1, 1)
			writeFile(t, filepath.Join(dir, "batches.meta.txt"), []byte("a\nb\nc\nd\ne\nf\ng\nh\ni\n"))
			_, _, err := ReadCIFAR10(dir)
			return err
		}, []string{"batches.meta.txt", "9 class names, want 10"}},
		{"cifar100 truncated", func(t *testing.T, dir string) error {
			writeCIFAR100(t, dir, 3, 1)
			writeFile(t, filepath.Join(dir, "test.bin"), cifarRecord(0, 1, 2)[:3073])
			_, _, err := ReadCIFAR100(dir, "")
			return err
		}, []string{"test.bin", "3073 bytes", "3074-byte", "coarse label byte + fine label byte"}},
		{"cifar100 fine label out of range", func(t *testing.T, dir string) error {
			writeCIFAR100(t, dir, 3, 1)
			writeFile(t, filepath.Join(dir, "train.bin"), cifarRecord(0, 1, 100))
			_, _, err := ReadCIFAR100(dir, "fine")
			return err
		}, []string{"train.bin", "record 0", "label 100", "0..99"}},
		{"cifar100 coarse label out of range", func(t *testing.T, dir string) error {
			writeCIFAR100(t, dir, 3, 1)
			writeFile(t, filepath.Join(dir, "train.bin"), cifarRecord(0, 20, 1))
			_, _, err := ReadCIFAR100(dir, "coarse")
			return err
		}, []string{"train.bin", "label 20", "0..19"}},
		{"cifar100 unknown label kind", func(t *testing.T, dir string) error {
			_, _, err := ReadCIFAR100(writeCIFAR100(t, dir, 1, 1), "medium")
			return err
		}, []string{`"medium"`, `"fine"`, `"coarse"`}},
		{"idx images bad magic", idxCase(idxBytes(0x804, []uint32{5, 28, 28}, make([]byte, 5*784)), labels),
			[]string{"imgs-idx3", "magic 0x00000804", "want 0x00000803"}},
		{"idx labels bad magic", idxCase(imgs, idxBytes(0x803, []uint32{5}, make([]byte, 5))),
			[]string{"labs-idx1", "magic 0x00000803", "want 0x00000801"}},
		{"idx counts disagree", idxCase(imgs, idxBytes(idxLabels, []uint32{4}, make([]byte, 4))),
			[]string{"imgs-idx3", "5 images", "labs-idx1", "4 labels"}},
		{"idx images truncated", idxCase(imgs[:len(imgs)-1], labels),
			[]string{"imgs-idx3", "3919 bytes after the header, want 3920", "[5 28 28]", "truncated"}},
		{"idx labels too long", idxCase(imgs, append(labels, 0)),
			[]string{"labs-idx1", "6 bytes after the header, want 5"}},
		{"idx header too short", idxCase(imgs[:10], labels),
			[]string{"imgs-idx3", "10 bytes", "16-byte IDX header"}},
		{"idx huge dimensions", idxCase(idxBytes(idxImages, []uint32{1 << 31, 1 << 31, 1 << 31}, nil), labels),
			[]string{"imgs-idx3", "want more than the file holds"}},
		{"idx gzip truncated", func(t *testing.T, dir string) error {
			z := gz(t, imgs)
			return idxCase(z[:len(z)/2], labels)(t, dir)
		}, []string{"imgs-idx3", "gzip", "unexpected EOF"}},
		{"idx label out of range", idxCase(imgs, idxBytes(idxLabels, []uint32{5}, []byte{0, 1, 2, 10, 4})),
			[]string{"labs-idx1", "label 10 of record 3", "0..9"}},
		{"idx files missing", func(t *testing.T, dir string) error {
			_, _, err := Load(Config{Format: "idx", Dir: dir})
			return err
		}, []string{"neither train-images-idx3-ubyte.gz nor train-images-idx3-ubyte"}},
		{"folder mixed sizes", folder(func(t *testing.T, root string) {
			encode(t, filepath.Join(root, "a", "0.png"), patternImage(0, 32, 32))
			encode(t, filepath.Join(root, "b", "0.png"), patternImage(0, 32, 32))
			encode(t, filepath.Join(root, "b", "1.png"), patternImage(0, 16, 16))
		}), []string{filepath.Join("b", "1.png"), "16x16", "want 32x32", filepath.Join("a", "0.png")}},
		{"folder empty class", folder(func(t *testing.T, root string) {
			encode(t, filepath.Join(root, "a", "0.png"), patternImage(0, 4, 4))
			writeFile(t, filepath.Join(root, "empty", "readme.txt"), []byte("x"))
		}), []string{"empty", "no .jpg, .jpeg or .png files"}},
		{"folder without classes", folder(func(t *testing.T, root string) {}),
			[]string{"no class folders"}},
		{"folder undecodable", folder(func(t *testing.T, root string) {
			encode(t, filepath.Join(root, "a", "0.png"), patternImage(0, 4, 4))
			writeFile(t, filepath.Join(root, "a", "1.jpg"), []byte("not a JPEG at all"))
		}), []string{filepath.Join("a", "1.jpg"), "cannot decode as JPEG or PNG"}},
		{"folder test classes differ", func(t *testing.T, dir string) error {
			encode(t, filepath.Join(dir, "train", "a", "0.png"), patternImage(0, 4, 4))
			encode(t, filepath.Join(dir, "test", "b", "0.png"), patternImage(0, 4, 4))
			return load(Config{Format: "folder", Dir: dir})(t, dir)
		}, []string{"test has classes [b]", "[a]", "same class folders"}},
		{"unknown format", load(Config{Format: "tiff", Dir: "x"}),
			[]string{`"tiff"`, "cifar10-bin, cifar100-bin, folder, idx"}},
		{"format without dir", load(Config{Format: "idx"}), []string{"format idx needs Config.Dir"}},
		{"dir without format", load(Config{Dir: "x"}), []string{`unknown format ""`, "cifar10-bin, cifar100-bin, folder, idx"}},
		{"nothing given", load(Config{}), []string{"Config.Dataset", "cifar10, cifar10-jpg, cifar100, fmnist"}},
		{"dataset and dir", load(Config{Dataset: "fmnist", Dir: "x"}), []string{"not both"}},
		{"dataset and format disagree", load(Config{Dataset: "fmnist", Format: "cifar10-bin"}),
			[]string{"fmnist", "format idx", `"cifar10-bin"`}},
		{"not an image data set", load(Config{Dataset: "multi30k"}), []string{`"multi30k"`, "not an image data set"}},
		{"label for another format", load(Config{Format: "idx", Dir: "x", Label: "fine"}),
			[]string{"Label", "cifar100-bin only"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errContains(t, tc.run(t, t.TempDir()), tc.want...)
		})
	}
}

func TestLoadUnknownDataset(t *testing.T) {
	_, _, err := Load(Config{Dataset: "cifar11"})
	var unknown *dataset.UnknownError
	if !errors.As(err, &unknown) || !errors.Is(err, dataset.ErrUnknown) {
		t.Fatalf("error %v, want the dataset package's *UnknownError", err)
	}
	errContains(t, err, `"cifar11"`, `did you mean "cifar10"`)
}

// TestLoadMissingDataset: with an empty mirror and cache, each data set's
// error is dataset's, with the command that gets it.
func TestLoadMissingDataset(t *testing.T) {
	t.Setenv("ZOO_DATA", t.TempDir())
	t.Setenv("ZOO_CACHE", t.TempDir())
	for _, name := range []string{"cifar10", "cifar100", "cifar10-jpg"} {
		_, _, err := Load(Config{Dataset: name})
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: error %v, want one matching fs.ErrNotExist", name, err)
		}
		errContains(t, err, "zoo data get "+name)
	}
}
