package nmt

import (
	"fmt"
	"math"
	"strconv"

	"github.com/zoo-nn/zoo/torch"
)

// EvalResult holds a data set's summed losses.
type EvalResult struct {
	Loss   float64 // label-smoothed, nats per target token
	NLL    float64 // nats per target token
	Tokens int64
}

// PPL is the perplexity exp(NLL).
func (r EvalResult) PPL() float64 { return math.Exp(r.NLL) }

// FormatPPL writes a perplexity for people: two decimals while it is
// below 10,000 ("12.34"), else four significant digits ("1.635e+71"), so
// that a model that learned nothing (e.g. norm = "batch" in a
// Transformer) does not print a 72-digit number.
func FormatPPL(ppl float64) string {
	if math.Abs(ppl) < 1e4 || math.IsNaN(ppl) {
		return strconv.FormatFloat(ppl, 'f', 2, 64)
	}
	if math.IsInf(ppl, 0) {
		return fmt.Sprint(ppl)
	}
	return strconv.FormatFloat(ppl, 'g', 4, 64)
}

// Evaluate computes the mean smoothed loss and NLL of data in eval mode
// (no dropout, no graph).
func Evaluate(m *Model, data []Example, batching Batching, epsilon float64) (res EvalResult, err error) {
	plan, err := batching.Plan(data, false, 0)
	if err != nil {
		return res, err
	}
	var loss, nll float64
	err = torch.Try(func() {
		torch.NoGrad(func() {
			for _, idx := range plan {
				l, n, tokens := evalBatch(m, data, idx, epsilon)
				loss, nll, res.Tokens = loss+l, nll+n, res.Tokens+tokens
			}
		})
	})
	if res.Tokens > 0 {
		res.Loss, res.NLL = loss/float64(res.Tokens), nll/float64(res.Tokens)
	}
	return res, err
}

func evalBatch(m *Model, data []Example, idx []int, epsilon float64) (loss, nll float64, tokens int64) {
	b, err := Collate(data, idx, m.cfg.PaddingIdx, m.cfg.EOSIdx, m.Device())
	torch.Check(err)
	defer b.Free()
	l, n, err := m.ForwardLoss(b.Src, b.Prev, b.Target, epsilon, false)
	torch.Check(err)
	return torch.Float(l), n, b.TgtTokens
}
