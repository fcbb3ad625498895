// Package i18n holds the console's message catalogs (zh-CN, the default, and English) and
// formats numbers, money and dates for each language.
//
// Catalogs are flat JSON objects in locales/, keyed by dotted names such as "nav.orders";
// both catalogs carry the same keys, which the tests enforce. A message that takes values
// uses fmt verbs; numbers are passed already formatted (FormatInt, FormatMoney) as %s so
// that each language groups digits its own way.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// Language tags the console is translated into.
const (
	ZhCN = "zh-CN"
	En   = "en"
)

// Supported lists the languages in the order a language switcher shows them; the first is
// the default.
var Supported = []string{ZhCN, En}

// Each language has its base catalog locales/<lang>.json and may have more
// files in locales/<lang>/ — one per capability, so that work on different
// areas doesn't edit one file. A key defined twice is an error.
//
//go:embed locales
var localeFiles embed.FS

// catalogs maps a language tag to its messages. Built once from the embedded files and never
// written afterwards, so concurrent readers need no lock.
var catalogs = mustLoadCatalogs()

func mustLoadCatalogs() map[string]map[string]string {
	out := make(map[string]map[string]string, len(Supported))
	for _, lang := range Supported {
		cat, err := loadCatalog(lang)
		if err != nil {
			// The files are embedded at build time; a broken one is a programming error
			// that the package tests catch before a binary ships.
			panic(err)
		}
		out[lang] = cat
	}
	return out
}

func loadCatalog(lang string) (map[string]string, error) {
	files := []string{"locales/" + lang + ".json"}
	if extra, err := fs.Glob(localeFiles, "locales/"+lang+"/*.json"); err == nil {
		files = append(files, extra...)
	}
	cat := map[string]string{}
	for _, name := range files {
		data, err := localeFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read catalog %s: %w", name, err)
		}
		var part map[string]string
		if err := json.Unmarshal(data, &part); err != nil {
			return nil, fmt.Errorf("parse catalog %s: %w", name, err)
		}
		for k, v := range part {
			if _, dup := cat[k]; dup {
				return nil, fmt.Errorf("catalog %s: key %q is defined twice", name, k)
			}
			cat[k] = v
		}
	}
	return cat, nil
}

// catalog returns the messages of lang, or of zh-CN when lang is not supported.
func catalog(lang string) map[string]string {
	if cat, ok := catalogs[lang]; ok {
		return cat
	}
	return catalogs[ZhCN]
}

// T returns the message for key in lang, formatted with fmt.Sprintf when args are given.
// An unsupported lang falls back to zh-CN; a missing key returns the key itself, so the gap
// is visible on the page rather than an empty label.
func T(lang, key string, args ...any) string {
	msg, ok := catalog(lang)[key]
	if !ok {
		return key
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// Has reports whether key exists in the catalog of lang (zh-CN for an unsupported lang).
func Has(lang, key string) bool {
	_, ok := catalog(lang)[key]
	return ok
}

// Keys returns the sorted keys of the catalog of lang (zh-CN for an unsupported lang).
func Keys(lang string) []string {
	cat := catalog(lang)
	keys := make([]string, 0, len(cat))
	for k := range cat {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// supportedTag returns the supported language a single language tag asks for, or "" if
// none. Any Chinese tag (zh, zh-CN, zh-Hans, zh-TW …) gets zh-CN: a reader of traditional
// characters is better served by simplified Chinese than by English.
func supportedTag(tag string) string {
	tag = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(tag), "_", "-"))
	primary, _, _ := strings.Cut(tag, "-")
	switch primary {
	case "zh":
		return ZhCN
	case "en":
		return En
	}
	return ""
}
