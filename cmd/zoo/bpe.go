package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/zoo-nn/zoo/tokenizer"
)

func init() { addCommand(newBPECmd) }

func newBPECmd() *cobra.Command {
	bpe := groupCmd("bpe", "Learn and apply byte-pair encoding, compatible with subword-nmt")
	bpe.AddCommand(newBPELearnCmd(), newBPEApplyCmd())
	return bpe
}

// bpeLearnOptions are the flags of `zoo bpe learn`.
type bpeLearnOptions struct {
	merges       int    // merge operations to learn; required
	minFrequency int    // stop below this pair count; default 2
	output       string // codes file; "" or "-" is standard output
	verbose      bool   // log every merge to standard error
}

func newBPELearnCmd() *cobra.Command {
	var o bpeLearnOptions
	cmd := &cobra.Command{
		Use:   "learn --merges N [-o CODES] [FILE...]",
		Short: "Learn BPE merges jointly from pre-tokenized text files (.gz too)",
		Long: "Learn BPE merges exactly as subword-nmt's learn-bpe does, on the words of all FILEs together\n" +
			"(a joint vocabulary). FILEs may be gzipped; none, or -, reads standard input. The input must\n" +
			"be pre-tokenized (`zoo tok`): words are separated by spaces.",
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, args) },
	}
	f := cmd.Flags()
	f.IntVarP(&o.merges, "merges", "s", 0, "number of merge operations to learn (required)")
	f.IntVar(&o.minFrequency, "min-frequency", tokenizer.DefaultMinFrequency, "stop when no pair occurs this often")
	f.StringVarP(&o.output, "output", "o", "", "write the codes here instead of standard output")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "log every merge to standard error")
	return cmd
}

func (o bpeLearnOptions) run(cmd *cobra.Command, files []string) error {
	if o.merges < 1 {
		return usageError{errors.New("--merges must be a positive number of merge operations")}
	}
	if o.minFrequency < 1 {
		return usageError{errors.New("--min-frequency must be at least 1")}
	}
	vocab, err := countFiles(cmd.InOrStdin(), files)
	if err != nil {
		return err
	}
	opt := tokenizer.LearnOptions{Merges: o.merges, MinFrequency: o.minFrequency}
	if o.verbose {
		opt.Verbose = cmd.ErrOrStderr()
	}
	codes, err := tokenizer.LearnBPE(vocab, opt)
	if err != nil {
		return err
	}
	if len(codes.Merges) < o.merges {
		fmt.Fprintf(cmd.ErrOrStderr(), "zoo bpe learn: no pair has frequency >= %d after %d merges; stopping\n",
			o.minFrequency, len(codes.Merges))
	}
	return writeTo(cmd.OutOrStdout(), o.output, func(w io.Writer) error {
		_, err := codes.WriteTo(w)
		return err
	})
}

// countFiles builds one vocabulary from every file, or from in when there
// is none.
func countFiles(in io.Reader, files []string) (tokenizer.Vocab, error) {
	vocab := tokenizer.Vocab{}
	if len(files) == 0 {
		files = []string{"-"}
	}
	for _, name := range files {
		if name == "-" {
			if err := vocab.AddText(in, "standard input"); err != nil {
				return nil, err
			}
			continue
		}
		f, err := tokenizer.Open(name)
		if err != nil {
			return nil, err
		}
		err = vocab.AddText(f, name)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return vocab, nil
}

// writeTo runs write on stdout, or on the file path when one is given,
// removing a half-written file if writing fails.
func writeTo(stdout io.Writer, path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		return write(stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// bpeApplyOptions are the flags of `zoo bpe apply`.
type bpeApplyOptions struct {
	codes      string   // codes file; required
	separator  string   // marks a continued subword
	merges     int      // use only the first merges; 0: all
	glossaries []string // words (regular expressions) never split
}

func newBPEApplyCmd() *cobra.Command {
	var o bpeApplyOptions
	cmd := &cobra.Command{
		Use:   "apply --codes CODES < IN > OUT",
		Short: "Segment pre-tokenized text from standard input with BPE codes",
		Long: "Segment every word of standard input exactly as subword-nmt's apply-bpe does; subwords\n" +
			"that the next one continues end in the separator (\"the@@ re\").",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.codes, "codes", "c", "", "codes file written by zoo bpe learn or subword-nmt (required)")
	f.StringVarP(&o.separator, "separator", "s", tokenizer.DefaultSeparator, "separator after a non-final subword")
	f.IntVarP(&o.merges, "merges", "m", 0, "use only the first N merges (0: all)")
	f.StringSliceVar(&o.glossaries, "glossaries", nil, "comma-separated regular expressions for words that are never split")
	return cmd
}

func (o bpeApplyOptions) run(cmd *cobra.Command) error {
	if o.codes == "" {
		return usageError{errors.New("--codes is required")}
	}
	if o.separator == "" || o.merges < 0 {
		return usageError{errors.New("--separator must not be empty and --merges not negative")}
	}
	codes, err := tokenizer.LoadCodes(o.codes)
	if err != nil {
		return err
	}
	bpe, err := tokenizer.NewBPE(codes, tokenizer.ApplyOptions{
		Separator: o.separator, Merges: o.merges, Glossaries: o.glossaries,
	})
	if err != nil {
		return usageError{err}
	}
	return bpe.Apply(cmd.InOrStdin(), cmd.OutOrStdout(), "standard input")
}
