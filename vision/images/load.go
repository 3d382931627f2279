package images

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/zoo-nn/zoo/dataset"
)

// Config says which image data set Load reads: a catalogue name, or a
// format and a folder.
type Config struct {
	// Dataset is a catalogue name: "fmnist", "cifar10", "cifar100" or
	// "cifar10-jpg". Its files are resolved through package dataset (the
	// $ZOO_DATA mirror, the system directory, the cache); a missing file is
	// an error saying how to get it (`zoo data get NAME`, or the apt-get
	// line for fmnist).
	Dataset string
	// Format is one of "cifar10-bin", "cifar100-bin", "idx", "folder". With
	// Dataset set it is implied and, if given, must agree.
	Format string
	// Dir is the folder holding the files when Dataset is empty; for
	// "folder" it holds train/ and test/, each with one folder per class.
	Dir string
	// Label chooses CIFAR-100's labels: "fine" (the default, 100 classes)
	// or "coarse" (20 superclasses). Other formats take none.
	Label string
}

// formatReader reads the train and test sets of one format from wherever
// src finds its files.
type formatReader func(src source, label string) (train, test *Set, err error)

// formats maps each Format to its reader.
var formats = map[string]formatReader{
	"cifar10-bin":  readCIFAR10From,
	"cifar100-bin": readCIFAR100From,
	"idx":          readIDXFrom,
	"folder":       readFolderFrom,
}

// datasetFormats maps the image data sets of the catalogue to their
// format; the catalogue also lists text corpora, which Load refuses.
var datasetFormats = map[string]string{
	"fmnist":      "idx",
	"cifar10":     "cifar10-bin",
	"cifar100":    "cifar100-bin",
	"cifar10-jpg": "folder",
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Load reads the train and test sets that c names.
func Load(c Config) (train, test *Set, err error) {
	format, src, err := c.resolve()
	if err != nil {
		return nil, nil, err
	}
	if c.Label != "" && format != "cifar100-bin" {
		return nil, nil, fmt.Errorf("images: Label %q applies to cifar100-bin only, not %s", c.Label, format)
	}
	train, test, err = formats[format](src, c.Label)
	if err != nil {
		return nil, nil, err
	}
	name := c.Dataset
	if name == "" {
		name = filepath.Base(filepath.Clean(c.Dir))
	}
	train.Name, test.Name = name, name
	if c.Dataset == "fmnist" {
		train.Classes = slices.Clone(FashionMNISTClasses)
		test.Classes = slices.Clone(FashionMNISTClasses)
	}
	return train, test, nil
}

// resolve checks c and returns its format and where its files are.
func (c Config) resolve() (string, source, error) {
	if c.Dataset == "" {
		if c.Format == "" && c.Dir == "" {
			return "", source{}, errors.New("images: give Config.Dataset (" + strings.Join(sortedKeys(datasetFormats), ", ") +
				"), or Config.Format and Config.Dir")
		}
		if formats[c.Format] == nil {
			return "", source{}, fmt.Errorf("images: unknown format %q; known formats: %s", c.Format, strings.Join(sortedKeys(formats), ", "))
		}
		if c.Dir == "" {
			return "", source{}, fmt.Errorf("images: format %s needs Config.Dir, the folder of its files", c.Format)
		}
		return c.Format, source{dir: c.Dir}, nil
	}
	if c.Dir != "" {
		return "", source{}, fmt.Errorf("images: give Config.Dataset (%q) or Config.Dir (%q), not both", c.Dataset, c.Dir)
	}
	if _, err := dataset.Lookup(c.Dataset); err != nil {
		return "", source{}, fmt.Errorf("images: %w", err)
	}
	format, ok := datasetFormats[c.Dataset]
	if !ok {
		return "", source{}, fmt.Errorf("images: data set %q is not an image data set; image data sets: %s",
			c.Dataset, strings.Join(sortedKeys(datasetFormats), ", "))
	}
	if c.Format != "" && c.Format != format {
		return "", source{}, fmt.Errorf("images: data set %s is in format %s, but Config.Format says %q", c.Dataset, format, c.Format)
	}
	return format, source{dataset: c.Dataset}, nil
}

// source finds a format's files: in a folder, or through the data
// catalogue (each file on its own, since the mirror may hold some files
// of a data set and the cache others).
type source struct {
	dataset string // catalogue name, or "" for dir
	dir     string
}

// path returns where file is, or an error naming it that matches
// fs.ErrNotExist when it is absent.
func (s source) path(file string) (string, error) {
	if s.dataset != "" {
		return dataset.Path(s.dataset, file)
	}
	p := filepath.Join(s.dir, file)
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s not found: %w", p, fs.ErrNotExist)
		}
		return "", err
	}
	return p, nil
}

// optional is path for a file that may be absent: "" and no error then.
func (s source) optional(file string) (string, error) {
	p, err := s.path(file)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return p, err
}
