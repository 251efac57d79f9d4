//go:build rasp_std

// This file lets gls_std.go declare functions without a body: the linker
// binds them to package runtime's patched accessors.
