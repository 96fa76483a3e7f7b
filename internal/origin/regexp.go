package origin

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
)

// CompileRegexps compiles origin regexps, each matched against the whole
// Origin, into one alternation so that matching is a single pass whatever
// their number. It returns one error per invalid expression.
//
// The alternation is built from parse trees, not by pasting strings: an
// expression's text cannot then reach past its own branch. Pasted, "a)|(.*"
// would unanchor the set, and a valid "\Q" (quote to the end) would swallow
// the closing anchor.
func CompileRegexps(exprs []string) (*regexp.Regexp, []error) {
	if len(exprs) == 0 {
		return nil, nil
	}
	var errs []error
	branches := make([]*syntax.Regexp, 0, len(exprs))
	for _, e := range exprs {
		tree, err := parseRegexp(e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		branches = append(branches, tree)
	}
	if errs != nil {
		return nil, errs
	}
	re, err := compileAnchored(&syntax.Regexp{Op: syntax.OpAlternate, Sub: branches})
	if err != nil {
		return nil, []error{fmt.Errorf("origin_regexp: the expressions parse one by one but exceed Go's regexp limits once anchored and joined into one (%s); use fewer, shallower or shorter expressions", err)}
	}
	return re, nil
}

// CompileRegexp compiles one origin regexp on its own, anchored as
// CompileRegexps anchors it, so that the configuration checks can say
// which expression matches what.
func CompileRegexp(expr string) (*regexp.Regexp, error) {
	tree, err := parseRegexp(expr)
	if err != nil {
		return nil, err
	}
	re, err := compileAnchored(tree)
	if err != nil {
		return nil, fmt.Errorf("origin_regexp %q: exceeds Go's regexp limits once anchored (%s)", expr, err)
	}
	return re, nil
}

func parseRegexp(expr string) (*syntax.Regexp, error) {
	// syntax.Perl is what regexp.Compile parses with.
	tree, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("origin_regexp %q: %v", expr, err)
	}
	return tree, nil
}

// compileAnchored compiles \A(?:tree)\z. String prints a tree as an
// expression that parses back to the same tree. What can still fail are
// the parser's limits, which an expression passes alone but not once
// nested deeper and, in an alternation, added to the others; the error
// is then the bare reason, as the whole expression would bury it.
func compileAnchored(tree *syntax.Regexp) (*regexp.Regexp, error) {
	whole := &syntax.Regexp{Op: syntax.OpConcat, Sub: []*syntax.Regexp{
		{Op: syntax.OpBeginText},
		tree,
		{Op: syntax.OpEndText},
	}}
	re, err := regexp.Compile(whole.String())
	if err != nil {
		var perr *syntax.Error
		if errors.As(err, &perr) {
			return nil, errors.New(string(perr.Code))
		}
		return nil, err
	}
	return re, nil
}
