package images

import (
	"fmt"
	"strconv"
)

// Set is an image classification data set held in memory as bytes.
type Set struct {
	// Name is the data set's name ("cifar10", "fmnist", or the base name
	// of the folder or file it was read from); train and test share it.
	Name string
	// N images of C channels, H rows and W columns each.
	N, C, H, W int
	// Pixels holds the N images one after another, each C×H×W bytes in
	// channel-major order (CHW, as CIFAR's binary records and libtorch's
	// NCHW tensors lay them out), 0..255.
	Pixels []uint8
	// Labels holds N labels in [0, len(Classes)).
	Labels []int32
	// Classes are the class names; a label indexes them.
	Classes []string
}

// Image returns the C*H*W bytes of image i. The slice shares Pixels and
// is capped at the image, so an append cannot spill into the next one.
func (s *Set) Image(i int) []uint8 {
	n := s.C * s.H * s.W
	return s.Pixels[i*n : (i+1)*n : (i+1)*n]
}

// check reports a set whose fields disagree with each other; readers
// build sets that pass it, and NewEpoch relies on it.
func (s *Set) check() error {
	switch {
	case s.N < 0 || s.C <= 0 || s.H <= 0 || s.W <= 0:
		return fmt.Errorf("set %s: shape %d×%d×%d×%d, want positive sizes", s.Name, s.N, s.C, s.H, s.W)
	case len(s.Pixels) != s.N*s.C*s.H*s.W:
		return fmt.Errorf("set %s: %d pixel bytes, want N×C×H×W = %d", s.Name, len(s.Pixels), s.N*s.C*s.H*s.W)
	case len(s.Labels) != s.N:
		return fmt.Errorf("set %s: %d labels, want N = %d", s.Name, len(s.Labels), s.N)
	}
	return nil
}

// CIFAR10Classes are CIFAR-10's class names in label order, used when
// batches.meta.txt is absent.
var CIFAR10Classes = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// FashionMNISTClasses are Fashion-MNIST's class names in label order (from
// Zalando's README); Load gives them to the "fmnist" data set.
var FashionMNISTClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// numberNames returns "0".."n-1", the class names of a set whose files
// name none.
func numberNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}
