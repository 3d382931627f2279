package nmt

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// TestLabelSmoothedLossIsFairseqs compares the fused loss with fairseq's
// formula written out term by term in PyTorch (testdata/loss_golden.py).
func TestLabelSmoothedLossIsFairseqs(t *testing.T) {
	raw, err := os.ReadFile("testdata/loss_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Shape   []int64   `json:"shape"`
		Pad     int64     `json:"pad"`
		Epsilon float64   `json:"epsilon"`
		Logits  []float32 `json:"logits"`
		Target  []int64   `json:"target"`
		Loss    float64   `json:"loss"`
		NLL     float64   `json:"nll"`
		Grad    []float32 `json:"grad"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	logits := torch.Must(torch.Must(torch.Must(ts.OfSlice(g.Logits)).View(g.Shape, true)).SetRequiresGrad(true, true))
	target := torch.Must(torch.Must(ts.OfSlice(g.Target)).View(g.Shape[:2], true))
	loss, err := LabelSmoothedLoss(logits, target, g.Epsilon, g.Pad)
	if err != nil {
		t.Fatal(err)
	}
	if got := loss.Float64Values()[0]; math.Abs(got-g.Loss) > 1e-5*math.Abs(g.Loss) {
		t.Errorf("loss %.7g, want %.7g (fairseq's formula)", got, g.Loss)
	}
	torch.Check(loss.Backward())
	grad := torch.Must(logits.Grad(false)).Float64Values()
	for i, w := range g.Grad {
		if math.Abs(grad[i]-float64(w)) > 1e-5 {
			t.Fatalf("grad[%d] %.7g, want %.7g", i, grad[i], w)
		}
	}
	nll, err := NLLLoss(logits, target, g.Pad)
	if err != nil {
		t.Fatal(err)
	}
	if got := nll.Float64Values()[0]; math.Abs(got-g.NLL) > 1e-5*g.NLL {
		t.Errorf("nll %.7g, want %.7g", got, g.NLL)
	}
}
