package images

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/zoo-nn/zoo/dataset"
	"github.com/zoo-nn/zoo/internal/sharedtest"
)

// classCounts counts each label of s.
func classCounts(s *Set) []int {
	n := make([]int, len(s.Classes))
	for _, l := range s.Labels {
		n[l]++
	}
	return n
}

// checkReal checks a real set's shape, its class balance and its channel
// statistics against published values (mean, std), within tol.
func checkReal(t *testing.T, s *Set, n, c, h, w, perClass int, mean, std []float64, tol float64) {
	t.Helper()
	checkShape(t, s, n, c, h, w)
	for k, got := range classCounts(s) {
		if got != perClass {
			t.Errorf("%s: class %d (%s) has %d images, want %d", s.Name, k, s.Classes[k], got, perClass)
		}
	}
	m, sd := ChannelStats(s)
	t.Logf("%s: %d images, mean %v, std %v", s.Name, s.N, m, sd)
	for ch := range c {
		if math.Abs(float64(m[ch])-mean[ch]) > tol || math.Abs(float64(sd[ch])-std[ch]) > tol {
			t.Errorf("%s: channel %d mean %.4f std %.4f, want %.4f and %.4f ± %g", s.Name, ch, m[ch], sd[ch], mean[ch], std[ch], tol)
		}
	}
}

// TestRealFashionMNIST reads Debian's Fashion-MNIST through the catalogue
// (the system directory), when the package is installed.
func TestRealFashionMNIST(t *testing.T) {
	t.Setenv("ZOO_DATA", "")
	t.Setenv("ZOO_CACHE", t.TempDir())
	train, test, err := Load(Config{Dataset: "fmnist"})
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("Fashion-MNIST not installed: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	// The usual Normalize values for Fashion-MNIST's training images are
	// 0.2860 and 0.3530; the test set's were measured on Debian's copy.
	checkReal(t, train, 60000, 1, 28, 28, 6000, []float64{0.2860}, []float64{0.3530}, 0.0005)
	checkReal(t, test, 10000, 1, 28, 28, 1000, []float64{0.2868}, []float64{0.3524}, 0.0005)
	if !slices.Equal(train.Classes, FashionMNISTClasses) || train.Name != "fmnist" {
		t.Errorf("name %q, classes %v; want fmnist and Fashion-MNIST's names", train.Name, train.Classes)
	}
}

// TestRealCIFAR10JPG unpacks the mirror's cifar10-jpg archive into a
// temporary cache with dataset.Get, as `zoo data get cifar10-jpg` does,
// and loads the 60,000 JPEGs. Unpacking and decoding take a while on two
// cores, so -short skips it.
func TestRealCIFAR10JPG(t *testing.T) {
	if testing.Short() {
		t.Skip("unpacks and decodes 60,000 JPEGs; not with -short")
	}
	sharedtest.Path(t, "data/cifar10/cifar10-jpg.tar.gz")
	t.Setenv("ZOO_DATA", filepath.Join(sharedtest.Dir(), "data"))
	t.Setenv("ZOO_CACHE", t.TempDir())
	_, _, err := Load(Config{Dataset: "cifar10-jpg"})
	errContains(t, err, "zoo data get cifar10-jpg")
	if err := dataset.Get(context.Background(), "cifar10-jpg", dataset.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	train, test, err := Load(Config{Dataset: "cifar10-jpg"})
	if err != nil {
		t.Fatal(err)
	}
	// CIFAR-10's usual Normalize values (of the PNG originals), within
	// what JPEG quality 75 changes.
	checkReal(t, train, 50000, 3, 32, 32, 5000, []float64{0.4914, 0.4822, 0.4465}, []float64{0.2470, 0.2435, 0.2616}, 0.002)
	checkReal(t, test, 10000, 3, 32, 32, 1000, []float64{0.4942, 0.4851, 0.4504}, []float64{0.2467, 0.2429, 0.2616}, 0.002)
	if !slices.Equal(train.Classes, CIFAR10Classes) {
		t.Errorf("classes %v, want CIFAR-10's", train.Classes)
	}
}
