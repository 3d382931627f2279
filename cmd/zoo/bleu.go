package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/zoo-nn/zoo/metrics"
	"github.com/zoo-nn/zoo/tokenizer"
)

func init() { addCommand(newBleuCmd) }

// bleuOptions holds the flags of `zoo bleu`; names follow sacreBLEU's.
type bleuOptions struct {
	input         string
	tokenize      string
	lowercase     bool
	lcSuffix      bool // the "c" of sacreBLEU's "-lc"
	smoothMethod  string
	smoothValue   float64
	smoothGiven   bool // --smooth-value was set; 0 is a legitimate value
	metricNames   []string
	chrfCharOrder int
	chrfWordOrder int
	chrfBeta      int
	chrfSpace     bool
	chrfLowercase bool
	chrfEps       bool
	asJSON        bool
	format        string
	width         int
	scoreOnly     bool
	sentenceLevel bool
	tokenized     bool
	removeBPE     string
	compoundSplit bool
}

func newBleuCmd() *cobra.Command {
	var o bleuOptions
	cmd := &cobra.Command{
		Use:   "bleu REF [REF...]",
		Short: "Score a translation with sacreBLEU-compatible BLEU and chrF",
		Long: `Score a translation (-i HYP, or standard input) against one or more
reference files, line by line, exactly as sacreBLEU ` + metrics.SacreBLEUVersion + ` does, and print
sacreBLEU's text output ("BLEU|signature = score ...") or, with --json,
its JSON plus the sufficient statistics. Unlike sacreBLEU, -i takes a
single system, and standard input is one system (tabs are text).

--lowercase (-l, or sacreBLEU's -lc) applies to BLEU; chrF has its own
--chrf-lowercase, as in sacreBLEU.

--tokenized switches BLEU to the "tokenized BLEU" of fairseq and
multi-bleu.perl (text taken as already tokenized, no smoothing), printed
as TokenizedBLEU. Its scores are not comparable with sacreBLEU's.`,
		Example: `  zoo bleu newstest2017-ende-ref.de -i newstest2017.uedin-nmt.4722.en-de
  zoo bleu ref.de -i hyp.de --metrics bleu,chrf --chrf-word-order 2 --json
  zoo bleu ref.tok.bpe -i hyp.tok.bpe --tokenized --remove-bpe --compound-split`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("bleu: need at least one reference file")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, refs []string) error {
			if err := o.check(cmd); err != nil {
				return usageError{fmt.Errorf("bleu: %w", err)}
			}
			return runBleu(cmd, o, refs)
		},
	}
	o.addFlags(cmd)
	return cmd
}

func (o *bleuOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.input, "input", "i", "", "hypothesis file (default: standard input; - also means standard input)")
	f.StringVar(&o.tokenize, "tokenize", metrics.Tokenize13a, "BLEU tokenizer: "+strings.Join(metrics.Tokenizers(), ", "))
	f.BoolVarP(&o.lowercase, "lowercase", "l", false, "case-insensitive BLEU (also spelt -lc)")
	f.BoolVarP(&o.lcSuffix, "lc-suffix", "c", false, "lets sacreBLEU's -lc parse as -l -c")
	_ = f.MarkHidden("lc-suffix")
	f.StringVarP(&o.smoothMethod, "smooth-method", "s", metrics.SmoothExp, "BLEU smoothing: exp, floor, add-k or none")
	f.Float64Var(&o.smoothValue, "smooth-value", 0,
		fmt.Sprintf("smoothing value for floor (default %g) and add-k (default %g)", metrics.DefaultFloorValue, metrics.DefaultAddKValue))
	f.StringSliceVarP(&o.metricNames, "metrics", "m", []string{"bleu"}, "metrics to compute: bleu, chrf (comma-separated)")
	f.IntVar(&o.chrfCharOrder, "chrf-char-order", metrics.DefaultCHRFCharOrder, "chrF character n-gram order")
	f.IntVar(&o.chrfWordOrder, "chrf-word-order", metrics.DefaultCHRFWordOrder, "chrF word n-gram order (2 is chrF++)")
	f.IntVar(&o.chrfBeta, "chrf-beta", metrics.DefaultCHRFBeta, "chrF recall weight beta")
	f.BoolVar(&o.chrfSpace, "chrf-whitespace", false, "keep whitespace in chrF character n-grams")
	f.BoolVar(&o.chrfLowercase, "chrf-lowercase", false, "case-insensitive chrF")
	f.BoolVar(&o.chrfEps, "chrf-eps-smoothing", false, "chrF++.py-style epsilon smoothing instead of effective order")
	f.BoolVar(&o.asJSON, "json", false, "print JSON (same as --format json)")
	f.StringVarP(&o.format, "format", "f", "text", "output format: text or json")
	f.IntVarP(&o.width, "width", "w", 1, "decimal places of the scores")
	f.BoolVarP(&o.scoreOnly, "score-only", "b", false, "print only the scores")
	f.BoolVar(&o.sentenceLevel, "sentence-level", false, "print one score per line (BLEU with effective order); one metric only")
	f.BoolVar(&o.tokenized, "tokenized", false, "fairseq-style tokenized BLEU instead of sacreBLEU BLEU (not comparable)")
	f.StringVar(&o.removeBPE, "remove-bpe", "",
		`with --tokenized: remove BPE first; bare --remove-bpe means "@@ ", --remove-bpe=sentencepiece undoes SentencePiece`)
	f.Lookup("remove-bpe").NoOptDefVal = metrics.BPESubwordNMT
	f.BoolVar(&o.compoundSplit, "compound-split", false, "with --tokenized: split hyphenated compounds as tensor2tensor's get_ende_bleu.sh")
}

// check validates flag combinations before any file is read.
func (o *bleuOptions) check(cmd *cobra.Command) error {
	if o.lcSuffix && !o.lowercase {
		return errors.New("unknown shorthand flag 'c' (did you mean -lc?)")
	}
	o.smoothGiven = cmd.Flags().Changed("smooth-value")
	if o.asJSON {
		if o.format != "text" && o.format != "json" {
			return usageError{fmt.Errorf("--json and --format %s disagree: give one", o.format)}
		}
		o.format = "json"
	}
	if o.format != "text" && o.format != "json" {
		return fmt.Errorf("--format %q: want text or json", o.format)
	}
	if o.width < 0 {
		return fmt.Errorf("--width %d is negative", o.width)
	}
	names, err := metricSet(o.metricNames)
	if err != nil {
		return err
	}
	o.metricNames = names
	if o.sentenceLevel && len(names) != 1 {
		return errors.New("--sentence-level takes exactly one metric")
	}
	return o.checkTokenized(cmd)
}

// checkTokenized keeps the fairseq-style flags and the sacreBLEU BLEU
// flags apart, so that a tokenized score is never produced by accident.
func (o *bleuOptions) checkTokenized(cmd *cobra.Command) error {
	changed := cmd.Flags().Changed
	if !o.tokenized {
		if changed("remove-bpe") || changed("compound-split") {
			return errors.New("--remove-bpe and --compound-split need --tokenized")
		}
		return nil
	}
	for _, name := range []string{"tokenize", "smooth-method", "smooth-value"} {
		if changed(name) {
			return fmt.Errorf("--%s does not apply to --tokenized (tokenize none, no smoothing)", name)
		}
	}
	if o.sentenceLevel {
		return errors.New("--sentence-level is not available with --tokenized")
	}
	return nil
}

// metricSet validates metric names and puts them in sacreBLEU's order,
// which sorts by name: BLEU before chrF.
func metricSet(names []string) ([]string, error) {
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if n != "bleu" && n != "chrf" {
			return nil, fmt.Errorf("--metrics: unknown metric %q (want bleu or chrf)", n)
		}
		seen[n] = true
	}
	var out []string
	for _, n := range []string{"bleu", "chrf"} {
		if seen[n] {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("--metrics: no metric given")
	}
	return out, nil
}

// runBleu reads the streams, checks them against each other and prints
// every requested metric.
func runBleu(cmd *cobra.Command, o bleuOptions, refPaths []string) error {
	refs := make([][]string, len(refPaths))
	for k, p := range refPaths {
		lines, err := readBleuStream(p, nil)
		if err != nil {
			return fmt.Errorf("reading reference: %w", err)
		}
		refs[k] = lines
	}
	hypName := o.input
	if hypName == "" || hypName == "-" {
		hypName = "<stdin>"
	}
	hyp, err := readBleuStream(o.input, cmd.InOrStdin())
	if err != nil {
		return fmt.Errorf("reading hypothesis: %w", err)
	}
	if len(hyp) == 0 {
		return fmt.Errorf("hypothesis %s is empty", hypName)
	}
	for k, r := range refs {
		if len(r) != len(hyp) {
			return fmt.Errorf("hypothesis %s has %d lines but reference %s has %d lines",
				hypName, len(hyp), refPaths[k], len(r))
		}
	}
	scorers, err := o.scorers()
	if err != nil {
		return usageError{fmt.Errorf("bleu: %w", err)}
	}
	if o.sentenceLevel {
		return printSentenceScores(cmd.OutOrStdout(), scorers[0], o, hyp, refs)
	}
	return printCorpusScores(cmd.OutOrStdout(), scorers, o, hyp, refs)
}

// readBleuStream reads a file (gzip-compressed if it ends in .gz, as
// sacreBLEU allows) or, for "" and "-", stdin when stdin is not nil.
func readBleuStream(path string, stdin io.Reader) ([]string, error) {
	if path == "" || path == "-" {
		if stdin == nil {
			return nil, fmt.Errorf("%q: standard input holds the hypothesis", path)
		}
		return readBleuLines("<stdin>", stdin)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if !strings.HasSuffix(path, ".gz") {
		return readBleuLines(path, f)
	}
	zr, err := tokenizer.NewGzipReader(f, path)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return readBleuLines(path, zr)
}

// readBleuLines reads lines and names the stream in errors.
func readBleuLines(name string, r io.Reader) ([]string, error) {
	lines, err := metrics.ReadLines(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return lines, nil
}

// scorer is one metric, bound to its options, as the CLI needs it.
type scorer interface {
	corpus(hyp []string, refs [][]string) (bleuResult, error)
	sentence(hyp string, refs []string) (bleuResult, error)
}

// bleuResult is a computed score ready for printing.
type bleuResult struct {
	line    func(width int) string // the full text line
	score   float64
	name    string
	sig     string
	verbose string
	extra   []jsonField // statistics appended to sacreBLEU's JSON
}

func (o bleuOptions) scorers() ([]scorer, error) {
	var out []scorer
	for _, n := range o.metricNames {
		s, err := o.scorer(n)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (o bleuOptions) scorer(name string) (scorer, error) {
	switch {
	case name == "chrf":
		c, err := metrics.NewCHRF(metrics.CHRFOptions{
			CharOrder: o.chrfCharOrder, WordOrder: o.chrfWordOrder, Beta: o.chrfBeta,
			Lowercase: o.chrfLowercase, Whitespace: o.chrfSpace, EpsSmoothing: o.chrfEps,
		})
		return chrfScorer{c}, err
	case o.tokenized:
		return tokenizedScorer{metrics.NewTokenizedBLEU(metrics.TokenizedBLEUOptions{
			Lowercase: o.lowercase, RemoveBPE: o.removeBPE, CompoundSplit: o.compoundSplit,
		})}, nil
	}
	opts := metrics.BLEUOptions{
		Tokenize: o.tokenize, Lowercase: o.lowercase, SmoothMethod: o.smoothMethod,
		EffectiveOrder: o.sentenceLevel, // as sacreBLEU's --sentence-level
	}
	if o.smoothGiven {
		v := o.smoothValue
		opts.SmoothValue = &v
	}
	b, err := metrics.NewBLEU(opts)
	return bleuScorer{b}, err
}

type bleuScorer struct{ b *metrics.BLEU }

func (s bleuScorer) corpus(hyp []string, refs [][]string) (bleuResult, error) {
	sc, err := s.b.CorpusScore(hyp, refs)
	return s.result(sc), err
}

func (s bleuScorer) sentence(hyp string, refs []string) (bleuResult, error) {
	sc, err := s.b.SentenceScore(hyp, refs)
	return s.result(sc), err
}

func (s bleuScorer) result(sc metrics.BLEUScore) bleuResult {
	sig := s.b.Signature(sc.NumRefs)
	return bleuResult{
		line:  func(w int) string { return sc.Format(w, sig) },
		score: sc.Score, name: "BLEU", sig: sig, verbose: sc.Verbose(),
		extra: bleuStatsJSON(sc.Counts, sc.Totals, sc.Precisions, sc.BP, sc.Ratio, sc.SysLen, sc.RefLen),
	}
}

type chrfScorer struct{ c *metrics.CHRF }

func (s chrfScorer) corpus(hyp []string, refs [][]string) (bleuResult, error) {
	sc, err := s.c.CorpusScore(hyp, refs)
	return s.result(sc), err
}

func (s chrfScorer) sentence(hyp string, refs []string) (bleuResult, error) {
	sc, err := s.c.SentenceScore(hyp, refs)
	return s.result(sc), err
}

func (s chrfScorer) result(sc metrics.CHRFScore) bleuResult {
	sig := s.c.Signature(sc.NumRefs)
	return bleuResult{line: func(w int) string { return sc.Format(w, sig) }, score: sc.Score, name: sc.Name, sig: sig}
}

type tokenizedScorer struct{ t *metrics.TokenizedBLEU }

func (s tokenizedScorer) corpus(hyp []string, refs [][]string) (bleuResult, error) {
	sc, err := s.t.CorpusScore(hyp, refs)
	sig := s.t.Signature(sc.NumRefs)
	return bleuResult{
		line:  func(w int) string { return sc.Format(w, sig) },
		score: sc.Score, name: metrics.TokenizedBLEUName, sig: sig, verbose: sc.Verbose(),
		extra: bleuStatsJSON(sc.Counts, sc.Totals, sc.Precisions, sc.BP, sc.Ratio, sc.SysLen, sc.RefLen),
	}, err
}

func (s tokenizedScorer) sentence(string, []string) (bleuResult, error) {
	return bleuResult{}, errors.New("tokenized BLEU has no sentence-level mode")
}

// printCorpusScores prints one result per metric, in sacreBLEU's text or
// JSON layout.
func printCorpusScores(w io.Writer, scorers []scorer, o bleuOptions, hyp []string, refs [][]string) error {
	var lines []string
	for _, s := range scorers {
		r, err := s.corpus(hyp, refs)
		if err != nil {
			return err
		}
		lines = append(lines, o.render(r))
	}
	var out string
	switch {
	case o.format == "json" && !o.scoreOnly && len(lines) > 1:
		out = "[\n" + strings.Join(lines, ",\n") + "\n]\n"
	case o.format == "json" || len(lines) == 1:
		out = strings.Join(lines, "\n") + "\n"
	default:
		out = alignOnEquals(lines)
	}
	_, err := io.WriteString(w, out)
	return err
}

// printSentenceScores prints one line per segment, as sacreBLEU's
// --sentence-level does (always text).
func printSentenceScores(w io.Writer, s scorer, o bleuOptions, hyp []string, refs [][]string) error {
	seg := make([]string, len(refs))
	var b strings.Builder
	for i, h := range hyp {
		for k := range refs {
			seg[k] = refs[k][i]
		}
		r, err := s.sentence(h, seg)
		if err != nil {
			return fmt.Errorf("line %d: %w", i+1, err)
		}
		if o.scoreOnly {
			b.WriteString(metrics.FormatScore(r.score, o.width))
		} else {
			b.WriteString(r.line(o.width))
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// render formats one corpus result; --score-only wins over --json, as in
// sacreBLEU.
func (o bleuOptions) render(r bleuResult) string {
	switch {
	case o.scoreOnly:
		return metrics.FormatScore(r.score, o.width)
	case o.format == "json":
		return r.json(o.width)
	}
	return r.line(o.width)
}

// alignOnEquals right-aligns the parts before " = " so the scores line up,
// as sacreBLEU's print_single_results does; lines without "=" come first.
func alignOnEquals(lines []string) string {
	var b strings.Builder
	var cut []int
	var aligned []string
	width := 0
	for _, l := range lines {
		i := strings.Index(l, "=")
		if i < 1 {
			b.WriteString(l + "\n")
			continue
		}
		cut = append(cut, i-1)
		aligned = append(aligned, l)
		width = max(width, utf8.RuneCountInString(l[:i-1]))
	}
	for k, l := range aligned {
		left := l[:cut[k]]
		b.WriteString(strings.Repeat(" ", width-utf8.RuneCountInString(left)) + left + l[cut[k]:] + "\n")
	}
	return b.String()
}

// jsonField is one key of an ordered JSON object.
type jsonField struct {
	key string
	val any // string, int, float64, []int or []float64
}

// json renders sacreBLEU's JSON (json.dumps with indent=1): name, score
// rounded to width, signature, verbose_score, the signature's fields,
// then zoo's additions (counts, totals, precisions, bp, ratio, lengths).
func (r bleuResult) json(width int) string {
	rounded, _ := strconv.ParseFloat(metrics.FormatScore(r.score, width), 64)
	fields := []jsonField{{"name", r.name}, {"score", rounded}, {"signature", r.sig}}
	if r.verbose != "" {
		fields = append(fields, jsonField{"verbose_score", r.verbose})
	}
	for _, kv := range strings.Split(r.sig, "|") {
		k, v, _ := strings.Cut(kv, ":")
		fields = append(fields, jsonField{k, v})
	}
	return writeJSONObject(append(fields, r.extra...))
}

func bleuStatsJSON(counts, totals []int, prec []float64, bp, ratio float64, sysLen, refLen int) []jsonField {
	return []jsonField{
		{"counts", counts}, {"totals", totals}, {"precisions", prec},
		{"bp", bp}, {"ratio", ratio}, {"sys_len", sysLen}, {"ref_len", refLen},
	}
}

// writeJSONObject lays fields out as Python's json.dumps(indent=1,
// ensure_ascii=False) does.
func writeJSONObject(fields []jsonField) string {
	var b strings.Builder
	b.WriteString("{\n")
	for i, f := range fields {
		b.WriteString(" " + pyJSONString(f.key) + ": " + jsonValue(f.val))
		if i < len(fields)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("}")
	return b.String()
}

func jsonValue(v any) string {
	switch x := v.(type) {
	case string:
		return pyJSONString(x)
	case int:
		return strconv.Itoa(x)
	case float64:
		return pyFloatRepr(x)
	case []int:
		items := make([]string, len(x))
		for i, n := range x {
			items[i] = strconv.Itoa(n)
		}
		return jsonList(items)
	case []float64:
		items := make([]string, len(x))
		for i, f := range x {
			items[i] = pyFloatRepr(f)
		}
		return jsonList(items)
	}
	panic(fmt.Sprintf("jsonValue: unsupported %T", v))
}

func jsonList(items []string) string {
	if len(items) == 0 {
		return "[]"
	}
	return "[\n  " + strings.Join(items, ",\n  ") + "\n ]"
}

// pyJSONString quotes s as Python's json module does with
// ensure_ascii=False: only quotes, backslashes and control characters are
// escaped (Go's encoder would also escape <, >, & and U+2028).
func pyJSONString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// pyFloatRepr prints f as Python's repr does: the shortest round-trip
// digits, in positional form with at least one decimal for exponents
// -4..15, in exponent form otherwise; NaN and infinities as json.dumps.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if f != 0 && (exp < -4 || exp >= 16) {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
