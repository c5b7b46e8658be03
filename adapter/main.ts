// Debug adapter entry point: DAP on stdio, or on a TCP port with --server=PORT.
console.error('BootDbg adapter: not built yet');
process.exit(1);
