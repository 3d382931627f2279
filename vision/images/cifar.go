package images

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// CIFAR's binary records: label byte(s), then a 32×32 image as 1,024 red,
// 1,024 green and 1,024 blue bytes, each plane row-major; that is already
// the CHW layout of a Set, so records are copied as they are.
const (
	cifarSide   = 32
	cifarPixels = 3 * cifarSide * cifarSide
)

// ReadCIFAR10 reads the CIFAR-10 binary version from dir: data_batch_1.bin
// to data_batch_5.bin (train) and test_batch.bin (test), records of one
// label byte and 3,072 pixel bytes. The class names come from
// batches.meta.txt when present, else CIFAR10Classes.
func ReadCIFAR10(dir string) (train, test *Set, err error) {
	return readCIFAR10From(source{dir: dir}, "")
}

func readCIFAR10From(src source, _ string) (train, test *Set, err error) {
	classes := slices.Clone(CIFAR10Classes) // a caller may edit a Set's names
	if meta, err := src.optional("batches.meta.txt"); err != nil {
		return nil, nil, err
	} else if meta != "" {
		if classes, err = readNames(meta, 10); err != nil {
			return nil, nil, err
		}
	}
	var trainFiles []string
	for i := 1; i <= 5; i++ {
		p, err := src.path(fmt.Sprintf("data_batch_%d.bin", i))
		if err != nil {
			return nil, nil, err
		}
		trainFiles = append(trainFiles, p)
	}
	testFile, err := src.path("test_batch.bin")
	if err != nil {
		return nil, nil, err
	}
	spec := cifarSpec{labelBytes: 1, label: 0, classes: classes, what: "1 label byte + 3072 pixel bytes"}
	if train, err = spec.read("cifar10", trainFiles...); err != nil {
		return nil, nil, err
	}
	if test, err = spec.read("cifar10", testFile); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// ReadCIFAR100 reads the CIFAR-100 binary version from dir: train.bin and
// test.bin, records of a coarse label byte, a fine label byte and 3,072
// pixel bytes. label is "fine" (or "": 100 classes) or "coarse" (20). The
// class names come from fine_label_names.txt or coarse_label_names.txt
// when present, else "0".."N-1".
func ReadCIFAR100(dir string, label string) (train, test *Set, err error) {
	return readCIFAR100From(source{dir: dir}, label)
}

func readCIFAR100From(src source, label string) (train, test *Set, err error) {
	spec := cifarSpec{labelBytes: 2, what: "coarse label byte + fine label byte + 3072 pixel bytes"}
	var n int
	switch label {
	case "", "fine":
		label, spec.label, n = "fine", 1, 100
	case "coarse":
		spec.label, n = 0, 20
	default:
		return nil, nil, fmt.Errorf("images: cifar100 label %q, want \"fine\" or \"coarse\"", label)
	}
	spec.classes = numberNames(n)
	if names, err := src.optional(label + "_label_names.txt"); err != nil {
		return nil, nil, err
	} else if names != "" {
		if spec.classes, err = readNames(names, n); err != nil {
			return nil, nil, err
		}
	}
	trainFile, err := src.path("train.bin")
	if err != nil {
		return nil, nil, err
	}
	testFile, err := src.path("test.bin")
	if err != nil {
		return nil, nil, err
	}
	if train, err = spec.read("cifar100", trainFile); err != nil {
		return nil, nil, err
	}
	if test, err = spec.read("cifar100", testFile); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// cifarSpec is one CIFAR record layout.
type cifarSpec struct {
	labelBytes int // label bytes before the pixels
	label      int // which of them is the label
	classes    []string
	what       string // the record layout, for errors
}

func (c cifarSpec) record() int { return c.labelBytes + cifarPixels }

// read concatenates the records of files into one Set. Each file's length
// is checked first, so the pixels are allocated once and read in place.
func (c cifarSpec) read(name string, files ...string) (*Set, error) {
	n := 0
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return nil, err
		}
		if fi.Size()%int64(c.record()) != 0 {
			return nil, fmt.Errorf("%s: %d bytes is not a whole number of %d-byte CIFAR records (%s): truncated or not a CIFAR binary batch",
				f, fi.Size(), c.record(), c.what)
		}
		n += int(fi.Size() / int64(c.record()))
	}
	s := &Set{Name: name, N: n, C: 3, H: cifarSide, W: cifarSide,
		Pixels: make([]uint8, n*cifarPixels), Labels: make([]int32, n), Classes: c.classes}
	i := 0
	for _, f := range files {
		var err error
		if i, err = c.readFile(f, s, i); err != nil {
			return nil, err
		}
	}
	if i != n {
		return nil, fmt.Errorf("%s: the files changed while being read (%d records, want %d)", strings.Join(files, ", "), i, n)
	}
	return s, nil
}

// readFile reads f's records into s from image i on, returning the index
// after the last one read.
func (c cifarSpec) readFile(f string, s *Set, i int) (int, error) {
	file, err := os.Open(f)
	if err != nil {
		return i, err
	}
	defer file.Close()
	r := bufio.NewReaderSize(file, 1<<20)
	labels := make([]byte, c.labelBytes)
	for rec := 0; ; rec++ {
		_, err := io.ReadFull(r, labels)
		switch {
		case err == io.EOF:
			return i, nil
		case err != nil:
			return i, fmt.Errorf("%s: record %d: %v (want whole %d-byte records)", f, rec, err, c.record())
		case i >= s.N:
			return i, fmt.Errorf("%s: grew while being read (more than %d records in all)", f, s.N)
		}
		if l := int(labels[c.label]); l >= len(c.classes) {
			return i, fmt.Errorf("%s: record %d: label %d out of range, want 0..%d", f, rec, l, len(c.classes)-1)
		}
		s.Labels[i] = int32(labels[c.label])
		if _, err := io.ReadFull(r, s.Image(i)); err != nil {
			return i, fmt.Errorf("%s: record %d: %v (want whole %d-byte records)", f, rec, err, c.record())
		}
		i++
	}
}

// readNames reads a label-names file: one name a line, blank lines (CIFAR
// ends its files with some) skipped; it must hold exactly want names.
func readNames(path string, want int) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var names []string
	for line := range strings.SplitSeq(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			names = append(names, line)
		}
	}
	if len(names) != want {
		return nil, fmt.Errorf("%s: %d class names, want %d (one a line)", path, len(names), want)
	}
	return names, nil
}
