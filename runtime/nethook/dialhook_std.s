//go:build rasp_std

// This file lets dialhook_std.go declare a function without a body: the
// linker binds it to package net's patched setter.
