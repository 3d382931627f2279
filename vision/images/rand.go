package images

import "math/bits"

// The loader's randomness is a pure function of (seed, epoch, position),
// written out here rather than taken from math/rand so that a given seed
// means the same epochs in every Go release: resumed and repeated runs
// depend on it.

// splitmix64 is Steele, Lea and Flood's SplitMix64 finalizer: a bijection
// of uint64 whose outputs pass BigCrush for consecutive inputs.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Stream tags keep the permutation and the augmentations independent.
const (
	streamOrder   = 1
	streamAugment = 2
)

// key hashes a tuple of integers into one well-mixed seed.
func key(parts ...uint64) uint64 {
	h := uint64(0x6a09e667f3bcc909)
	for _, p := range parts {
		h = splitmix64(h ^ p)
	}
	return h
}

// stream is a SplitMix64 sequence.
type stream struct{ state uint64 }

func (s *stream) next() uint64 {
	s.state += 0x9e3779b97f4a7c15
	return splitmix64(s.state)
}

// below returns a value in [0, n) by Lemire's multiply-shift; the bias,
// at most n/2^64, is far below anything a training run could notice.
func (s *stream) below(n int) int {
	hi, _ := bits.Mul64(s.next(), uint64(n))
	return int(hi)
}

// permutation returns a Fisher-Yates shuffle of 0..n-1 drawn from k.
func permutation(n int, k uint64) []int32 {
	p := make([]int32, n)
	for i := range p {
		p[i] = int32(i)
	}
	s := stream{k}
	for i := n - 1; i > 0; i-- {
		j := s.below(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}
