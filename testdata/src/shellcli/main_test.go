package main

import (
	"strings"
	"testing"

	"example.com/shellhelper"
)

func TestGreet(t *testing.T) {
	out, err := shellhelper.Run("echo hello test")
	if err != nil || strings.TrimSpace(out) != "hello test" {
		t.Fatalf("Run = %q, %v", out, err)
	}
}
