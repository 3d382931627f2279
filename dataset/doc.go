// Package dataset is zoo's catalogue of named data sets and the code that
// finds, downloads and checks their files.
//
// Each data set (a Spec) is a list of files. A file says where its bytes
// come from (one or more Sources: a URL, or a member inside a .tgz/.tar.gz
// archive at a URL, with an optional transform such as SGM to plain text;
// several sources are concatenated in order) and, where one is known, the
// sha256 of the final file.
//
// # Where files live
//
// A file is looked for, in order:
//  1. in the read-only mirror named by $ZOO_DATA, laid out as
//     <dataset>/<file>; a mirror copy is used in place only if its checksum
//     (or, lacking one, its size) matches the catalogue;
//  2. in the directory a system package installs it into (Fashion-MNIST:
//     Debian's dataset-fashion-mnist, /usr/share/datasets/fashion-mnist);
//  3. in the cache: $ZOO_CACHE, else $XDG_CACHE_HOME/zoo, else ~/.cache/zoo,
//     where Get writes <dataset>/<file>.
//
// # How files are checked
//
// Files with a recorded sha256 are verified after every download and
// whenever Get finds them again; a mismatching download is deleted, never
// kept. Files extracted from an archive whose publisher gives an md5 (the
// CIFAR binaries) are checked through that archive. For the rest (the
// WMT14 training corpora, whose publishers give no checksum, and the
// IWSLT14 files a user prepares) nothing can prove the first copy right:
// Get prints the sha256 of what it got and records it in SHA256SUMS next
// to the data (sha256sum -c reads it), and later Get runs fail if the file
// has changed since. That is trust on first use: it detects change and
// corruption, not a wrong first download.
//
// # What Get can fetch
//
//   - multi30k, wmt14 (newstest2013, newstest2014 full), cifar10, cifar100:
//     downloaded from the canonical URLs and verified.
//   - wmt14 train.{en,de}: downloaded and concatenated (Europarl v7,
//     CommonCrawl, News Commentary v9, as fairseq's prepare-wmt14en2de.sh
//     --icml17 lists them, before its Moses preprocessing); trust on first
//     use.
//   - iwslt14: nothing. Its files are the output of fairseq's
//     prepare-iwslt14.sh (Moses tokenizer and lowercasing, which zoo does
//     not reimplement); Get checks copies in the mirror or the cache and
//     says how to make the missing ones.
//   - fmnist: nothing; Get checks Debian's copy and otherwise prints the
//     apt-get line.
//   - cifar10-jpg, toy-deen: only in the project's mirror; Get unpacks
//     cifar10-jpg's archive once into the cache (train/, test/).
//
// Get handles one cache at a time: two concurrent Gets on the same cache
// may both resume the same partial download.
package dataset
