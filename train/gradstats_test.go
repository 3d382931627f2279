package train

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

func TestGroupNorms(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	cases := []struct {
		name       string
		names      []string
		norms      []float64
		prefixes   []string
		wantBlocks []float64
		wantTotal  float64
	}{
		{"two blocks and an outsider",
			[]string{"embed.weight", "layers.0.a", "layers.0.b", "layers.1.a"}, []float64{12, 3, 4, 5},
			[]string{"layers.0.", "layers.1."}, []float64{5, 5}, math.Sqrt(144 + 9 + 16 + 25)},
		{"prefix with a dot does not take layers.10",
			[]string{"layers.1.w", "layers.10.w"}, []float64{3, 4},
			[]string{"layers.1.", "layers.10."}, []float64{3, 4}, 5},
		{"empty block",
			[]string{"a.w"}, []float64{2}, []string{"a.", "b."}, []float64{2, 0}, 2},
		{"overflow stays infinite",
			[]string{"a.w", "b.w"}, []float64{inf, 1}, []string{"a.", "b."}, []float64{inf, 1}, inf},
		{"nan propagates",
			[]string{"a.w", "a.v"}, []float64{nan, 1}, []string{"a."}, []float64{nan}, nan},
	}
	same := func(a, b float64) bool {
		return (math.IsNaN(a) && math.IsNaN(b)) || a == b || math.Abs(a-b) < 1e-12*math.Abs(b)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			blocks, total := GroupNorms(c.names, c.norms, c.prefixes)
			if len(blocks) != len(c.wantBlocks) || !same(total, c.wantTotal) {
				t.Fatalf("blocks %v total %v, want %v total %v", blocks, total, c.wantBlocks, c.wantTotal)
			}
			for i := range blocks {
				if !same(blocks[i], c.wantBlocks[i]) {
					t.Errorf("block %d: %v, want %v", i, blocks[i], c.wantBlocks[i])
				}
			}
		})
	}
}

// TestBlockGradNorms builds two "blocks" of parameters, backpropagates a
// loss whose gradients are known (L = Σ c·p gives dL/dp = c) and checks
// the norms per block and in total, and that a parameter without a
// gradient counts 0.
func TestBlockGradNorms(t *testing.T) {
	vs := nn.NewVarStore(gotch.CPU)
	root := vs.Root()
	mk := func(path *nn.Path, name string, n int64) *ts.Tensor {
		v, err := path.Zeros(name, []int64{n})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	a := mk(root.Sub("layers").Sub("0"), "w", 2)
	b := mk(root.Sub("layers").Sub("1"), "w", 3)
	mk(root.Sub("layers").Sub("1"), "unused", 2)
	e := mk(root.Sub("embed"), "w", 1)
	params, err := Params(vs)
	if err != nil {
		t.Fatal(err)
	}
	err = torch.Try(func() {
		var terms []*ts.Tensor
		for _, pc := range []struct {
			p *ts.Tensor
			c []float32
		}{{a, []float32{3, 4}}, {b, []float32{1, 2, 2}}, {e, []float32{12}}} {
			c := torch.Must(ts.OfSlice(pc.c))
			terms = append(terms, torch.Must(torch.Must(pc.p.Mul(c, false)).Sum(gotch.Float, true)))
			torch.Free(c)
		}
		loss := torch.Must(ts.Stack(terms, 0))
		torch.Free(terms...)
		loss = torch.Must(loss.Sum(gotch.Float, true))
		torch.Check(loss.Backward())
		torch.Free(loss)
	})
	if err != nil {
		t.Fatal(err)
	}
	blocks, total, err := BlockGradNorms(params, []string{"layers.0.", "layers.1."})
	if err != nil {
		t.Fatal(err)
	}
	// block 0: |(3,4)| = 5; block 1: |(1,2,2)| = 3; total sqrt(25+9+144).
	if len(blocks) != 2 || math.Abs(blocks[0]-5) > 1e-6 || math.Abs(blocks[1]-3) > 1e-6 || math.Abs(total-math.Sqrt(178)) > 1e-5 {
		t.Errorf("blocks %v total %v, want [5 3] and %v", blocks, total, math.Sqrt(178))
	}
	if g := GradNorm(params); math.Abs(g-total) > 1e-5 {
		t.Errorf("GradNorm %v differs from the total %v", g, total)
	}
}

func TestJSONFloat(t *testing.T) {
	vals := []float64{1.5, 0, 1e300, math.Inf(1), math.Inf(-1), math.NaN()}
	rec := GradStatsRecord(7, []string{"a."}, vals, math.Inf(1))
	raw, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"block_names":["a"],"blocks":[1.5,0,1e+300,"inf","-inf","nan"],"event":"grads","total":"inf","updates":7}`
	if string(raw) != want {
		t.Fatalf("record %s, want %s", raw, want)
	}
	var back struct {
		Blocks []JSONFloat `json:"blocks"`
		Total  JSONFloat   `json:"total"`
	}
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	for i, v := range vals {
		got := float64(back.Blocks[i])
		if !(got == v || math.IsNaN(got) && math.IsNaN(v)) {
			t.Errorf("value %d: %v back as %v", i, v, got)
		}
	}
	var bad JSONFloat
	if err := json.Unmarshal([]byte(`"big"`), &bad); err == nil {
		t.Error(`"big" decoded without an error`)
	}
}
