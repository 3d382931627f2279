package dataset

// Builtin is zoo's catalogue.
//
// Where checksums come from:
//   - "measured on the mirror": sha256sum of the copy in the project's
//     read-only mirror (shared/data), taken when the entry was written. The
//     mirror copies are the canonical files as far as we know, but nobody
//     publishes sha256s for them; if a fresh download disagrees, Get says
//     so and keeps nothing, and the entry needs a look.
//   - "published": the md5 the data set's authors (or sacreBLEU, for WMT's
//     test archives) give for the archive.
//   - "measured on the Debian package": sha256sum of the files in
//     dataset-fashion-mnist 0.0~git20200523.55506a9-1 (dpkg -x). Debian
//     recompressed the .gz files, so they differ from Zalando's published
//     md5s; the IDX content is the same data.
var Builtin = Catalogue{
	multi30k(),
	wmt14(),
	iwslt14(),
	cifar10(),
	cifar100(),
	fmnist(),
	cifar10JPG(),
	toyDeEn(),
}

const mirrorOnly = "only the project's read-only mirror has these files: set ZOO_DATA to it (e.g. ZOO_DATA=../shared/data)"

func multi30k() Spec {
	const base = "https://raw.githubusercontent.com/multi30k/dataset/master/data/task1/raw/"
	f := func(name, sum string, size int64) File {
		return File{Name: name, Parts: []Source{{URL: base + name}}, SHA256: sum, Size: size}
	}
	return Spec{
		Name:        "multi30k",
		Description: "Multi30k task 1, raw De/En image captions: 29,000 train, 1,014 val, 1,000 test_2016_flickr pairs",
		Source:      "github.com/multi30k/dataset; cite Elliott et al. 2016",
		// sha256s and sizes measured on the mirror copy.
		Files: []File{
			f("train.de.gz", "726e39b2fa9eb9ffb6dc763fb35a179f80fae06ffc5d28b6ace5faa883de28a6", 637044),
			f("train.en.gz", "d79cfa999dd4c51d2cb42499b6796d5a882c3a8a961923c25a898c90f8bbd56f", 568929),
			f("val.de.gz", "f0cba2f995189cf5770f29a8a9a537a3ad3f51657ad873405082ff6863a5e75a", 24681),
			f("val.en.gz", "14f7d25ddd868909a9213e361768460edcacdd6ab9d1e77b92560dc10c10dc28", 21650),
			f("test_2016_flickr.de.gz", "9204244e408ccb38d2a55cfcd344df15005fc42a07a6e55ca6c52b6ababb8cc8", 22890),
			f("test_2016_flickr.en.gz", "611d361c6334bc7246101d48097c13cf5c4413c5befc793cc629934359d532d9", 21077),
		},
	}
}

// wmt14 follows fairseq's prepare-wmt14en2de.sh --icml17 for the training
// corpora (before its Moses preprocessing) and sacreBLEU's wmt14/full for
// the test set.
func wmt14() Spec {
	const (
		europarl = "http://statmt.org/wmt13/training-parallel-europarl-v7.tgz"
		crawl    = "http://statmt.org/wmt13/training-parallel-commoncrawl.tgz"
		nc9      = "http://statmt.org/wmt14/training-parallel-nc-v9.tgz"
		dev      = "http://statmt.org/wmt14/dev.tgz"
		test     = "http://statmt.org/wmt14/test-full.tgz"
		testMD5  = "a8cd784e006feb32ac6f3d9ec7eb389a" // published in sacreBLEU's dataset table
	)
	train := func(l string) File {
		// The publishers give no checksums for these: trust on first use.
		return File{Name: "train." + l, Parts: []Source{
			{URL: europarl, Member: "training/europarl-v7.de-en." + l},
			{URL: crawl, Member: "commoncrawl.de-en." + l},
			{URL: nc9, Member: "training/news-commentary-v9.de-en." + l},
		}}
	}
	sgm := func(name, member, sum string, size int64) File {
		return File{Name: name, Parts: []Source{{URL: test, MD5: testMD5, Member: member, Transform: SGM}}, SHA256: sum, Size: size}
	}
	return Spec{
		Name:        "wmt14",
		Description: "WMT14 En-De: Europarl v7 + CommonCrawl + News Commentary v9 train, newstest2013 valid, newstest2014 (full, 3,003 lines) test",
		Source:      "statmt.org/wmt14, as fairseq's prepare-wmt14en2de.sh --icml17 and sacreBLEU's wmt14/full take it",
		// Test and valid sha256s and sizes measured on the mirror copy.
		Files: []File{
			train("en"),
			train("de"),
			{Name: "newstest2013.en", Parts: []Source{{URL: dev, Member: "dev/newstest2013.en"}},
				SHA256: "ace268a1d9724ca76f6d8e5c720ffdc08f01bdce45630ed8b269dc7918e1c16e", Size: 332974},
			{Name: "newstest2013.de", Parts: []Source{{URL: dev, Member: "dev/newstest2013.de"}},
				SHA256: "d7ea35ab91ff3709e03ad9cb6bf5b4f2cc775cd2d72efd5254c4aec5e69663ca", Size: 385433},
			sgm("newstest2014.en", "test-full/newstest2014-deen-src.en.sgm",
				"7294bccf2879a97b3706b95c9595f1459617a8ee7130d5d8581c910e69736971", 359898),
			sgm("newstest2014.de", "test-full/newstest2014-deen-ref.de.sgm",
				"ae5d110486bc33d7175e9e28c7d0051eb3e5fcd2166dd93371089852c091a20e", 399406),
		},
	}
}

// iwslt14 is the output of fairseq's prepare-iwslt14.sh before BPE. Making
// it needs the Moses perl scripts, so zoo does not try; it only finds and
// checks the files.
func iwslt14() Spec {
	prepared := func(name, sum string, size int64) File { return File{Name: name, SHA256: sum, Size: size} }
	return Spec{
		Name: "iwslt14",
		Description: "IWSLT14 De-En TED talks as fairseq prepares them (Moses-tokenized, lowercased): " +
			"train/valid/test.{de,en}, test = dev2010+dev2012+tst2010-2012 (6,750 lines)",
		Source: "fairseq examples/translation/prepare-iwslt14.sh from http://dl.fbaipublicfiles.com/fairseq/data/iwslt14/de-en.tgz (WIT3)",
		Install: "zoo cannot make these files (they need the Moses perl scripts): run fairseq's " +
			"examples/translation/prepare-iwslt14.sh and copy iwslt14.tokenized.de-en/tmp/{train,valid,test}.{de,en} " +
			"(tokenized and lowercased, before BPE) into {dir}",
		// Test sha256s and sizes measured on the mirror copy; train and
		// valid are recorded on first use.
		Files: []File{
			prepared("train.de", "", 0),
			prepared("train.en", "", 0),
			prepared("valid.de", "", 0),
			prepared("valid.en", "", 0),
			prepared("test.de", "79907bfa24fc515a756aaf10d3d9b9adbb0d9fe9adc694ce2bb24ff90b6487c5", 720231),
			prepared("test.en", "2acf38d4de6ba944fc077218ccae8609bec9d75380cf5ec7e3c2ebefcf84f2bb", 659127),
		},
	}
}

// cifarBatch is the size of a CIFAR binary batch: records of label byte(s)
// and 3,072 pixel bytes, as the CIFAR page describes the format.
func cifarBatch(records, labelBytes int64) int64 { return records * (labelBytes + 3072) }

func cifar10() Spec {
	src := func(name string) []Source {
		return []Source{{
			URL:    "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
			MD5:    "c32a1d4ab5d03f1284b67883e8d87530", // published on the CIFAR page
			Member: "cifar-10-batches-bin/" + name,
		}}
	}
	batch := func(name string) File {
		return File{Name: name, Parts: src(name), Size: cifarBatch(10000, 1)}
	}
	return Spec{
		Name:        "cifar10",
		Description: "CIFAR-10 binary version: 50,000 train images in data_batch_1..5.bin, 10,000 in test_batch.bin, 10 classes",
		Source:      "https://www.cs.toronto.edu/~kriz/cifar.html; cite Krizhevsky 2009",
		Files: []File{
			batch("data_batch_1.bin"), batch("data_batch_2.bin"), batch("data_batch_3.bin"),
			batch("data_batch_4.bin"), batch("data_batch_5.bin"), batch("test_batch.bin"),
			{Name: "batches.meta.txt", Parts: src("batches.meta.txt")},
		},
	}
}

func cifar100() Spec {
	src := func(name string) []Source {
		return []Source{{
			URL:    "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
			MD5:    "03b5dce01913d631647c71ecec9e9cb8", // published on the CIFAR page
			Member: "cifar-100-binary/" + name,
		}}
	}
	return Spec{
		Name:        "cifar100",
		Description: "CIFAR-100 binary version: 50,000 train and 10,000 test images, coarse and fine labels, label names",
		Source:      "https://www.cs.toronto.edu/~kriz/cifar.html; cite Krizhevsky 2009",
		Files: []File{
			{Name: "train.bin", Parts: src("train.bin"), Size: cifarBatch(50000, 2)},
			{Name: "test.bin", Parts: src("test.bin"), Size: cifarBatch(10000, 2)},
			{Name: "coarse_label_names.txt", Parts: src("coarse_label_names.txt")},
			{Name: "fine_label_names.txt", Parts: src("fine_label_names.txt")},
		},
	}
}

// fmnist comes from Debian rather than Zalando's bucket: the package is
// pinned by the distribution, and the machines zoo runs on have apt.
func fmnist() Spec {
	f := func(name, sum string, size int64) File { return File{Name: name, SHA256: sum, Size: size} }
	return Spec{
		Name:        "fmnist",
		Description: "Fashion-MNIST: 60,000 train and 10,000 test 28x28 grey images, 10 classes, IDX files (gzip)",
		Source:      "Debian package dataset-fashion-mnist (upstream github.com/zalandoresearch/fashion-mnist); cite Xiao et al. 2017",
		SystemDir:   "/usr/share/datasets/fashion-mnist",
		Install:     "sudo apt-get install dataset-fashion-mnist",
		// sha256s and sizes measured on the Debian package.
		Files: []File{
			f("train-images-idx3-ubyte.gz", "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7", 26421856),
			f("train-labels-idx1-ubyte.gz", "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056", 29491),
			f("t10k-images-idx3-ubyte.gz", "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa", 4422079),
			f("t10k-labels-idx1-ubyte.gz", "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05", 5125),
		},
	}
}

// cifar10JPG is a JPEG re-encoding (quality 75, lossy) that only the
// project's mirror has; Get unpacks it once into the cache.
func cifar10JPG() Spec {
	const archive = "cifar10-jpg.tar.gz"
	return Spec{
		Name:        "cifar10-jpg",
		Description: "CIFAR-10 as JPEG (quality 75, lossy): train/<class>/NNNN.jpg (50,000), test/<class>/NNNN.jpg (10,000)",
		Source:      "project mirror only (shared/data/cifar10)",
		Mirror:      "cifar10",
		Install:     mirrorOnly,
		Files: []File{
			// sha256 and size measured on the mirror copy.
			{Name: archive, SHA256: "fe084103e12d5a17f2c6ba5c354ab937fb79e35fe4e98ebf37ad93c0b1be24a9", Size: 19568343},
			{Name: "train", Dir: true, Parts: []Source{{Local: archive, Member: "train/"}}},
			{Name: "test", Dir: true, Parts: []Source{{Local: archive, Member: "test/"}}},
		},
	}
}

// toyDeEn is the mirror's tiny TED-style corpus for smoke tests.
func toyDeEn() Spec {
	f := func(name, sum string, size int64) File { return File{Name: name, SHA256: sum, Size: size} }
	return Spec{
		Name:        "toy-deen",
		Description: "1,000 train / 20 dev TED-style De-En pairs for smoke tests",
		Source:      "project mirror only (shared/data/toy-deen)",
		Install:     mirrorOnly,
		// sha256s and sizes measured on the mirror copy.
		Files: []File{
			f("train.de", "0209aeeae17c7e6097798e0649a59bac665ffb94ada11f3b80408013840b0b02", 91395),
			f("train.en", "2d63dba96436aa968b627140506323094dbdb25194a84e31d0c8163959e1b567", 83275),
			f("dev.de", "dcf759d23d7fb41d116e04665eebbb13b080500a41281934ba2d8e633eb8dc36", 2182),
			f("dev.en", "bbe55449f1734a8528f432d0702d3da629484e23054b9e772ba619d922865093", 1941),
		},
	}
}
