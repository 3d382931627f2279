package tokenizer

import "strings"

// prefixKind says when a word followed by "." keeps its period, which is
// how abbreviations survive the split of sentence-final periods.
type prefixKind uint8

const (
	notPrefix prefixKind = iota
	// alwaysPrefix keeps the period before any word ("Dr. Smith").
	alwaysPrefix
	// numericPrefix keeps it only before a number ("No. 5", "Nr. 12").
	numericPrefix
)

// The lists are short on purpose: they hold abbreviations that commonly
// precede a capitalised word or a number. A word followed by a lowercase
// word, and any word with an inner period ("e.g.", "U.S."), keeps its
// period anyway, so those need no entry.
var prefixLists = map[string]struct{ always, numeric string }{
	"en": {
		always: `Adm Apr Aug Ave Bros Capt Cmdr Co Col Corp Cpl Dec Dept Dr Drs Feb Fr Ft Gen Gov Hon Hr
			Inc Jan Jr Jul Jun Lt Ltd Maj Mar Messrs Mlle Mme Mr Mrs Ms Msgr Mt Nov Oct Ph Pres
			Prof Pvt Rep Reps Rev Rt Sen Sens Sep Sept Sgt Sr St Supt Vol mr mrs ms dr prof vs v`,
		numeric: `No Nos Nr Art pp p fig Fig vol ch Ch sec Sec para`,
	},
	"de": {
		always: `Abb Abg Abk Abs Abt Adr Anm Apr Aug Bd Bde Bsp Bzw Chr Co Dez Di Dipl Dr Fa Feb Fr
			Frl Ggf Hbf Hr Hrn Hrsg Ing Inh Jan Jh Jhd Jul Jun Kap Kfz Kl Lt Ltd Mag Mi Mio Mo Mrd
			Mr Mrs Nov Okt Pfr Pkt Prof Red Reg Sa Sept Sep So Sr St Std Str Tel Univ Verf Vol
			Vors Zi Ztg ca bspw bzgl bzw dgl evtl ggf gegr inkl insb jhd max min mind mtl sog
			tägl u usw uvm vgl vs zB zz zzt`,
		numeric: `Nr Art Abs Ziff Bd Kap Tel Fig Tab Nrn`,
	},
	"fr": {
		always: `Dr Jr M MM Mgr Mlle Mlles Mme Mmes Me Pr Prof Sr St Ste av bd boul etc hab janv
			févr avr juil sept oct nov déc`,
		numeric: `No no Nos nos n p pp art`,
	},
}

// prefixesFor builds the table for lang; every language also keeps single
// capital letters, which are initials far more often than sentence ends.
func prefixesFor(lang string) map[string]prefixKind {
	m := map[string]prefixKind{}
	for r := 'A'; r <= 'Z'; r++ {
		m[string(r)] = alwaysPrefix
	}
	for _, r := range "ÄÖÜÀÂÇÉÈÊÎÔ" {
		m[string(r)] = alwaysPrefix
	}
	lists := prefixLists[lang]
	for _, w := range strings.Fields(lists.numeric) {
		m[w] = numericPrefix
	}
	for _, w := range strings.Fields(lists.always) {
		m[w] = alwaysPrefix
	}
	return m
}
