// Package images holds the image classification data sets of zoo's
// vision experiments in memory and turns them into batches for
// CIFAR-style ResNet training: shuffling, augmentation (pad-and-crop,
// horizontal flip), normalization and prefetching on worker goroutines.
// It is pure Go: it never calls libtorch, so its workers may run on any
// goroutine (see docs/design.md on libtorch's per-thread state).
//
// # Data sets and formats
//
// A Set is N images of C×H×W bytes (CHW within each image, the layout of
// CIFAR's records and of NCHW tensors) with int32 labels and class names.
// Load reads the train and test sets of a catalogue data set or of a
// folder in one of four formats:
//
//	Dataset      Format        files
//	cifar10      cifar10-bin   data_batch_1..5.bin, test_batch.bin: records of 1 label byte + 3072 pixels
//	                           (1024 R, 1024 G, 1024 B, each 32×32 row-major); batches.meta.txt (names)
//	cifar100     cifar100-bin  train.bin, test.bin: coarse byte, fine byte, 3072 pixels;
//	                           {coarse,fine}_label_names.txt; Config.Label picks fine (100) or coarse (20)
//	fmnist       idx           {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]: IDX (big-endian header,
//	                           magic 0x803 images N×rows×cols, 0x801 labels), gzip detected by magic bytes
//	cifar10-jpg  folder        train/<class>/*.jpg|*.jpeg|*.png and test/<class>/...: classes are the sorted
//	                           folder names; decoded in parallel; grey images expanded to RGB
//
// Every reader checks what it reads (record sizes, magic numbers, counts,
// exact file lengths, label ranges, one image size) and its errors name
// the file and what was expected.
//
// # Where the data sets come from
//
// With Config.Dataset, files are resolved through package dataset, each
// on its own: the $ZOO_DATA mirror, the system directory, then the cache
// ($ZOO_CACHE). A file found nowhere is dataset's error, which says how to
// get it:
//   - cifar10, cifar100: `zoo data get NAME` downloads the binary version
//     from the CIFAR page (Krizhevsky 2009) and checks the published md5.
//   - fmnist: Debian's dataset-fashion-mnist package
//     (/usr/share/datasets/fashion-mnist; `apt-get install
//     dataset-fashion-mnist`), upstream Zalando's Fashion-MNIST (Xiao et
//     al. 2017); the class names are FashionMNISTClasses.
//   - cifar10-jpg: a JPEG (quality 75) re-encoding in the project's mirror
//     only; `zoo data get cifar10-jpg` unpacks its archive once into the
//     cache as train/ and test/. Load never downloads or unpacks anything.
//
// # Determinism
//
// An Epoch's batches are a function of the Set, the LoaderConfig (Workers
// and Prefetch aside) and the epoch number, nothing else:
//   - the order of the images is a Fisher-Yates permutation drawn from
//     (Seed, epoch) when Shuffle, else the Set's order;
//   - the crop offset and flip of the image at position p of the epoch
//     are drawn from (Seed, epoch, p);
//   - the randomness is SplitMix64 written out in this package, so a seed
//     means the same epochs under every Go release.
//
// So the number of workers, their timing and the batch an epoch resumed
// at change nothing: NewEpoch(s, c, e, k) yields exactly batches k.. of
// NewEpoch(s, c, e, 0). Workers may finish out of order; Next hands the
// batches out in order.
//
// # Cost
//
// Each image is cropped, flipped and normalized in one pass with a
// per-channel table of the 256 normalized byte values, into batch buffers
// that Release returns to a pool: an epoch allocates a few buffers, not
// one per batch or per pixel. BenchmarkEpochCIFAR measures the rate on a
// CIFAR-sized set.
package images
