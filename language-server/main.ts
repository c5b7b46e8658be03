// Language server entry point (LSP over --stdio).
console.error('BootDbg language server: not built yet');
process.exit(1);
