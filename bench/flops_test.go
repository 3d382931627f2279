package bench

import (
	"testing"

	"github.com/zoo-nn/zoo/nmt"
	"github.com/zoo-nn/zoo/vision"
)

// TestTransformerFLOPsByHand: one encoder and one decoder layer, B=2,
// S=3, T=4, D=8, F=16, V=10, each product listed as [m, k] x [k, n].
func TestTransformerFLOPsByHand(t *testing.T) {
	c := nmt.Config{DModel: 8, FFNDim: 16, TgtVocab: 10, EncoderLayers: 1, DecoderLayers: 1}
	mm := func(m, k, n float64) float64 { return 2 * m * k * n }
	enc := mm(6, 8, 24) + // q, k, v of the 6 source positions
		2*mm(3, 8, 3) + 2*mm(3, 3, 8) + // scores and context, per sentence, all heads together
		mm(6, 8, 8) + // out_proj
		mm(6, 8, 16) + mm(6, 16, 8) // fc1, fc2
	dec := mm(8, 8, 24) + 2*mm(4, 8, 4) + 2*mm(4, 4, 8) + mm(8, 8, 8) + // self-attention on 8 target positions
		mm(8, 8, 8) + mm(6, 8, 16) + 2*mm(4, 8, 3) + 2*mm(4, 3, 8) + mm(8, 8, 8) + // cross: q, k+v of the encoder, scores, context, out
		mm(8, 8, 16) + mm(8, 16, 8) // fc1, fc2
	out := mm(8, 8, 10)
	want := enc + dec + out
	if want != 21568 { // 6720 + 13568 + 1280, worked out on paper
		t.Fatalf("hand count %v, want 21568", want)
	}
	if got := TransformerForwardFLOPs(c, 2, 3, 4); got != want {
		t.Errorf("TransformerForwardFLOPs = %v, want %v", got, want)
	}
	if got := TrainFLOPs(want); got != 3*want {
		t.Errorf("TrainFLOPs = %v, want 3x forward", got)
	}
}

// TestResNetFLOPsByHand: a depth-8 resnet (one basic block a stage),
// width 4, 8x8 images, 5 classes, one image; multiply-adds per conv are
// out_h·out_w·C_out·C_in·k².
func TestResNetFLOPsByHand(t *testing.T) {
	c := vision.Config{Arch: vision.ArchResNet, Depth: 8, Block: vision.BlockBasic, Width: 4, Shortcut: vision.ShortcutA, InChannels: 3, Classes: 5}
	macs := 8*8*4*3*9 + // stem 3->4 at 8x8
		2*(8*8*4*4*9) + // layer1: two 4->4 at 8x8
		4*4*8*4*9 + 4*4*8*8*9 + // layer2: 4->8 stride 2 to 4x4, 8->8
		2*2*16*8*9 + 2*2*16*16*9 + // layer3: 8->16 stride 2 to 2x2, 16->16
		16*5 // fc
	if macs != 53072 {
		t.Fatalf("hand count %d MACs, want 53072", macs)
	}
	if got := ResNetForwardFLOPs(c, 1, 8); got != 2*float64(macs) {
		t.Errorf("shortcut A: %v FLOPs, want %v", got, 2*macs)
	}
	c.Shortcut = vision.ShortcutB // adds the 1x1 projections 4->8 at 4x4 and 8->16 at 2x2
	if got, want := ResNetForwardFLOPs(c, 3, 8), 3*2*float64(macs+4*4*8*4+2*2*16*8); got != want {
		t.Errorf("shortcut B, 3 images: %v FLOPs, want %v", got, want)
	}
}

// TestResNet20FLOPs: ResNet-20 on a CIFAR image is 40.55M multiply-adds
// (convolutions and fc), the figure usually quoted as about 41M.
func TestResNet20FLOPs(t *testing.T) {
	c, err := vision.Preset("resnet20", 3, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := ResNetForwardFLOPs(c, 1, 32); got != 2*40551040 {
		t.Errorf("resnet20: %v FLOPs, want 2 x 40,551,040", got)
	}
	b, _ := vision.Preset("preresnet164", 3, 10)
	if got := ResNetForwardFLOPs(b, 1, 32); got < 2*240e6 || got > 2*260e6 {
		t.Errorf("preresnet164: %.4g FLOPs, want about 2 x 250M multiply-adds", got)
	}
}
