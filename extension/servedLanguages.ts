/** Languages the BootDbg language server handles (language ids from package.json). */
export const SERVED_LANGUAGES = ['boot-ini', 'vmx', 'kd-transcript', 'loadord'] as const;
