//go:build linux

// On Linux the peer asks the kernel for SIGTERM when its parent dies, so a test run that crashed or
// was killed leaves no go-micro peer behind (SIGTERM, not SIGKILL: a server still deregisters).
package main

import "syscall"

func init() {
	// init runs on the main OS thread (the runtime locks the main goroutine to it during
	// initialization), the thread whose parent-death signal the kernel consults.
	syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0)
}
