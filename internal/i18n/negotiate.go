package i18n

import (
	"strconv"
	"strings"
)

// Negotiate picks the language for a request: an explicit choice (the language cookie or a
// ?lang= value) when it names a supported language, else the best match in an
// Accept-Language header, else zh-CN.
//
// In the header, q-values are honoured (q=0 excludes a language), ties go to the earlier
// entry, and "*" stands for the default. Malformed entries are skipped rather than failing
// the request: the header comes from the outside world.
func Negotiate(choice, acceptLanguage string) string {
	if lang := supportedTag(choice); lang != "" {
		return lang
	}
	best, bestQ := "", 0.0
	for entry := range strings.SplitSeq(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(entry, ";")
		q, ok := qValue(params)
		if !ok || q <= bestQ {
			continue
		}
		lang := supportedTag(tag)
		if strings.TrimSpace(tag) == "*" {
			lang = ZhCN
		}
		if lang == "" {
			continue
		}
		best, bestQ = lang, q
	}
	if best == "" {
		return ZhCN
	}
	return best
}

// qValue reads the weight from the parameters of one Accept-Language entry ("q=0.8");
// without a q parameter the weight is 1. ok is false for a weight outside [0, 1] or one
// that does not parse.
func qValue(params string) (q float64, ok bool) {
	q = 1
	for p := range strings.SplitSeq(params, ";") {
		name, value, found := strings.Cut(strings.TrimSpace(p), "=")
		if !found || !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || !(v >= 0 && v <= 1) { // also rejects NaN
			return 0, false
		}
		q = v
	}
	return q, true
}
