/* A boot sector that arrives over iSCSI: iPXE sanboots the LUN and jumps here at 0000:7C00 with
 * DL = 0x80 (its SAN drive). Linked at 0 (`as --32 -g` + `ld -Ttext=0`), run at linear 0x7C00:
 * code stays at CS = 0 and only uses relative jumps/calls, data goes through DS = 07C0.
 * Prints "BootDbg: booted over iSCSI, DL=80" via int 10h (screen) and port 0xE9 (debugcon),
 * then spins in a `jmp .` loop. */
	.code16
	.text
	.globl	_start
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ss
	movw	$0x7c00, %sp		/* stack below the boot sector */
	sti
	movw	$0x07c0, %ax		/* data linked at 0, loaded at 0x7C00 */
	movw	%ax, %ds
	movb	%dl, bootdrive		/* iPXE passes the SAN drive number in DL */

	.globl	booted
booted:
	movw	$banner, %si		/* breakpoint here: DL still holds the drive */
	call	print
	movb	bootdrive, %al
	call	printhex
	movw	$crlf, %si
	call	print

	.globl	spin
spin:
	jmp	spin			/* done: the classic self-loop */

/* Prints the NUL-terminated string at DS:SI. */
	.globl	print
print:
	lodsb
	testb	%al, %al
	jz	1f
	call	putc
	jmp	print
1:	ret

/* Prints AL as two hex digits. */
	.globl	printhex
printhex:
	pushw	%ax
	shrb	$4, %al
	call	hexdigit
	popw	%ax
	andb	$0x0f, %al
hexdigit:
	addb	$'0', %al
	cmpb	$'9', %al
	jbe	putc
	addb	$('a' - '0' - 10), %al
	/* fall through */

/* One character to port 0xE9 and the screen (int 10h teletype). */
	.globl	putc
putc:
	pushw	%ax
	pushw	%bx
	outb	%al, $0xe9
	movb	$0x0e, %ah
	movw	$0x0007, %bx
	int	$0x10
	popw	%bx
	popw	%ax
	ret

banner:
	.asciz	"BootDbg: booted over iSCSI, DL="
crlf:
	.asciz	"\r\n"
bootdrive:
	.byte	0

	.org	510
	.word	0xaa55
