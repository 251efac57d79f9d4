//go:build rasp_std

// This file lets stdhook_std.go declare functions without a body: the
// linker binds them to the patched standard library's functions.
