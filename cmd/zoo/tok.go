package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zoo-nn/zoo/tokenizer"
)

func init() {
	addCommand(newTokCmd)
	addCommand(newDetokCmd)
}

// langPattern accepts ISO 639 codes; anything else is more likely a typo
// than a language, and would silently get the generic rules.
var langPattern = regexp.MustCompile(`^[a-z]{2,3}$`)

func newTokenizer(lang string) (*tokenizer.Tokenizer, error) {
	if !langPattern.MatchString(lang) {
		return nil, usageError{fmt.Errorf("--lang %q is not a two- or three-letter language code", lang)}
	}
	return tokenizer.NewTokenizer(lang), nil
}

func newTokCmd() *cobra.Command {
	var lang string
	cmd := &cobra.Command{
		Use:   "tok [--lang en] < IN > OUT",
		Short: "Split raw text from standard input into Moses-style tokens",
		Long: "Tokenize each line of standard input as Moses' tokenizer.perl -no-escape does, keeping URLs\n" +
			"and e-mail addresses whole; `zoo detok` with the same --lang undoes it. en, de, fr and it\n" +
			"have rules of their own, other languages get generic ones.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tk, err := newTokenizer(lang)
			if err != nil {
				return err
			}
			return tokenizer.MapLines(cmd.InOrStdin(), cmd.OutOrStdout(), "standard input", 0, func() tokenizer.LineFunc {
				return func(line string) string { return tk.TokenizeString(line) + "\n" }
			})
		},
	}
	cmd.Flags().StringVarP(&lang, "lang", "l", "en", "language code")
	return cmd
}

func newDetokCmd() *cobra.Command {
	var lang string
	var removeBPE bool
	cmd := &cobra.Command{
		Use:   "detok [--lang en] [--remove-bpe] < IN > OUT",
		Short: "Join tokens from standard input back into text",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tk, err := newTokenizer(lang)
			if err != nil {
				return err
			}
			return tokenizer.MapLines(cmd.InOrStdin(), cmd.OutOrStdout(), "standard input", 0, func() tokenizer.LineFunc {
				return func(line string) string {
					line = strings.TrimRight(line, "\r\n")
					if removeBPE {
						return tk.DetokenizeBPE(line) + "\n"
					}
					return tk.DetokenizeString(line) + "\n"
				}
			})
		},
	}
	cmd.Flags().StringVarP(&lang, "lang", "l", "en", "language code")
	cmd.Flags().BoolVar(&removeBPE, "remove-bpe", false, `first join BPE subwords ("the@@ re" -> "there")`)
	return cmd
}
