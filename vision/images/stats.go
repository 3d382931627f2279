package images

import "math"

// ChannelStats returns each channel's mean and population standard
// deviation over all pixels of s scaled to [0, 1], the values the usual
// Normalize(mean, std) takes. It counts a histogram of the bytes, so the
// sums are exact integers and the float64 arithmetic at the end is the
// only rounding. An empty set gives mean 0 and std 0.
func ChannelStats(s *Set) (mean, std []float32) {
	hist := make([][256]uint64, s.C)
	plane := s.H * s.W
	for i := range s.N {
		img := s.Image(i)
		for c := range s.C {
			h := &hist[c]
			for _, p := range img[c*plane : (c+1)*plane] {
				h[p]++
			}
		}
	}
	mean, std = make([]float32, s.C), make([]float32, s.C)
	for c := range s.C {
		var n, sum, sq float64
		for p, k := range hist[c] {
			f := float64(k)
			n += f
			sum += f * float64(p)
			sq += f * float64(p) * float64(p)
		}
		if n == 0 {
			continue
		}
		m := sum / n
		v := math.Max(sq/n-m*m, 0)
		mean[c], std[c] = float32(m/255), float32(math.Sqrt(v)/255)
	}
	return mean, std
}
