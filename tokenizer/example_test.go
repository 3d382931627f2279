package tokenizer_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/zoo-nn/zoo/tokenizer"
)

func ExampleTokenizer() {
	tk := tokenizer.NewTokenizer("en")
	toks := tk.Tokenize(`"I don't know," he said (twice).`)
	fmt.Println(strings.Join(toks, " "))
	fmt.Println(tk.Detokenize(toks))
	// Output:
	// " I don 't know , " he said ( twice ) .
	// "I don't know," he said (twice).
}

func ExampleLearnBPE() {
	vocab := tokenizer.Vocab{}
	vocab.AddText(strings.NewReader("low low low lower lower newest newest widest\n"), "example")
	codes, err := tokenizer.LearnBPE(vocab, tokenizer.LearnOptions{Merges: 4})
	if err != nil {
		fmt.Println(err)
		return
	}
	codes.WriteTo(os.Stdout)
	// Output:
	// #version: 0.2
	// l o
	// w e
	// s t</w>
	// lo w</w>
}

func ExampleBPE_ProcessLine() {
	codes, _ := tokenizer.ReadCodes(strings.NewReader("#version: 0.2\nl o\nlo w\ne r</w>\n"), "example")
	bpe, _ := tokenizer.NewBPE(codes, tokenizer.ApplyOptions{})
	fmt.Print(bpe.ProcessLine("lower slower\n"))
	// Output:
	// low@@ er s@@ low@@ er
}

func ExampleDictionary() {
	d := tokenizer.NewDictionary()
	d.AddLine("the cat sat on the mat")
	d.Finalize(tokenizer.FinalizeOptions{PadTo: 4}) // 4 specials + 5 words -> 12
	ids := d.Encode("the dog sat")
	fmt.Println(ids, d.Decode(ids))
	d.WriteTo(os.Stdout)
	// Output:
	// [4 3 8 2] the <unk> sat
	// the 2
	// cat 1
	// mat 1
	// on 1
	// sat 1
	// madeupword0000 0
	// madeupword0001 0
	// madeupword0002 0
}
