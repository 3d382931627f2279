// Package vision is zoo's image classification: CIFAR-style ResNets
// (He et al., CVPR 2016; He et al., ECCV 2016) whose every residual join
// is a layers variant, chosen by name, so that the skip connection is a
// setting and not code.
//
// To build one:
//
//	cfg, _ := vision.Preset("resnet20", 3, 10) // in_channels, classes
//	cfg.Residual, cfg.ResidualParams = "rskip-ln", map[string]any{"order": 2}
//	torch.ManualSeed(1)
//	vs := nn.NewVarStore(device)
//	model, err := vision.New(vs.Root(), cfg)
//	logits, err := model.Forward(x, true) // x [B, C, H, W] float32 -> [B, classes]
//
// # The networks
//
// Every net has a stem, three stages of n blocks whose widths are w, 2w
// and 4w (w = Config.Width, 16 in the papers; a bottleneck block outputs
// 4x its stage width) and whose first blocks have strides 1, 2 and 2,
// then global average pooling and a fully connected layer (with bias) to
// the classes. Every convolution is bias-free and followed (resnet) or
// preceded (preresnet) by a BN; 3x3 convolutions pad by 1.
//
// resnet (Depth = 6n+2, basic blocks): the stem is ReLU(BN(conv3x3(x)))
// and each block computes
//
//	F(x) = BN(conv3x3(ReLU(BN(conv3x3(x)))))    (the stride on the first conv)
//	y    = ReLU(join(x, F))
//
// preresnet (Depth = 6n+2 basic, 9n+2 bottleneck): the stem is conv3x3(x)
// alone, each block computes
//
//	F(x) = conv3x3(ReLU(BN(conv3x3(ReLU(BN(x))))))                        basic
//	F(x) = conv1x1(ReLU(BN(conv3x3(ReLU(BN(conv1x1(ReLU(BN(x)))))))))     bottleneck (stride on the 3x3)
//	y    = join(x, F)
//
// with nothing after the join, and the last stage is followed by
// ReLU(BN(·)) before pooling.
//
// join is the residual variant of Config.Residual (layers.Variants; see
// docs/variants.md), e.g. plain S(x) + F(x), scaled λ·S(x) + F(x),
// post-ln LN(S(x) + F(x)), pre-ln S(LN(x)) + F(LN(x)), rskip-ln
// f₁ = LN₁(S(x) + F(x)), f_k = LN_k(S(x) + f_{k−1}). S is the block's
// skip path: the identity where the block keeps the shape; where it
// changes (the first block of stages 2 and 3, and of stage 1 for
// bottlenecks) it is layers.Features.Shortcut:
//
//	A: S(x) = [x[:, :, ::s, ::s]; 0]   x subsampled by the stride s, zero channels appended (no parameters)
//	B: S(x) = BN(conv1x1_s(x))         a projection with its own BN
//
// The variant puts S(x) wherever its formula has x, so λ scales S(x) and
// its norms act on the sum exactly as it defines them; the model never
// looks at the variant's name. For preresnet, S is applied to the block
// input as the variant hands it over (pre-ln gives it LN(x)), never to
// F's internal BN-ReLU; that is why option B carries its own BN (He et
// al. 2016b project the shared pre-activation with a bare 1x1 conv).
//
// When the variant's FinalNorm() is true (pre-ln: the sum is never
// normalized inside a block), a resnet gets a final BN, without ReLU,
// after its last block (variable "bn"); preresnet already ends with one.
//
// ZeroInitLastBN starts the last BN of every F (bn2, or bn3 for a
// bottleneck) at weight 0, so that F is 0 at initialization.
//
// BN everywhere is PyTorch's BatchNorm2d: batch statistics in training,
// running statistics (momentum 0.1) in evaluation, eps 1e-5.
//
// # Ownership and errors
//
// Forward never frees its input, returns a tensor the caller owns and
// frees every intermediate before it returns, so memory stays flat over
// any number of steps without help from the garbage collector. libtorch
// failures come back as errors (torch.Recover at every exported
// function).
package vision
