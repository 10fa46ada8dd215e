package cli

import (
	"fmt"
	"strings"
)

// Plural is n and noun, in the plural unless n is 1: "1 file", "3 files",
// "0 entries" (a noun ending in a consonant and y takes "ies").
func Plural[N ~int | ~int32 | ~int64 | ~uint | ~uint32 | ~uint64](n N, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %s", n, pluralNoun(noun))
}

func pluralNoun(noun string) string {
	if stem, ok := strings.CutSuffix(noun, "y"); ok && stem != "" && !strings.ContainsAny(stem[len(stem)-1:], "aeiou") {
		return stem + "ies"
	}
	return noun + "s"
}

// Verb is the form of a verb for n subjects: one (n is 1) or many.
func Verb[N ~int | ~int32 | ~int64 | ~uint | ~uint32 | ~uint64](n N, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
