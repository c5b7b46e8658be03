/*
 * A tiny real-mode boot prefix to practise on: the BIOS loads this sector to 0000:7C00 and jumps
 * to it. It prints a banner through the BIOS (int 10h) and to QEMU's debug port 0xE9, counts down
 * from 3 through a small function (good places for breakpoints and F11), then parks in `jmp .`.
 * Linked at 0 like gPXE/iPXE prefixes and run with CS = DS = 07C0.
 */
	.code16
	.text
	.globl	_start
_start:
	cli
	ljmp	$0x07c0, $normalise	/* CS:IP = 07C0:xxxx whatever the BIOS used */
normalise:
	movw	%cs, %ax
	movw	%ax, %ds
	movw	%ax, %es
	xorw	%ax, %ax
	movw	%ax, %ss
	movw	$0x7c00, %sp		/* stack grows down below the boot sector */
	sti

	movw	$banner, %si
	call	print_string

	movw	$3, %cx
countdown:
	movb	%cl, %al
	call	print_digit
	loop	countdown

	movw	$done, %si
	call	print_string

halt:
	jmp	halt			/* the debugger finds us here */

/* print_string: DS:SI -> NUL-terminated string; writes each byte to the screen and port 0xE9. */
	.globl	print_string
print_string:
	pushw	%ax
1:	lodsb
	testb	%al, %al
	jz	2f
	call	print_char
	jmp	1b
2:	popw	%ax
	ret

/* print_digit: AL = 0..9, printed as one decimal digit followed by a space. */
	.globl	print_digit
print_digit:
	pushw	%ax
	addb	$'0', %al
	call	print_char
	movb	$' ', %al
	call	print_char
	popw	%ax
	ret

/* print_char: AL = character; BIOS teletype output, then QEMU's debugcon port. */
	.globl	print_char
print_char:
	pushw	%ax
	pushw	%bx
	movb	$0x0e, %ah
	movw	$0x0007, %bx		/* page 0, light grey */
	int	$0x10
	popw	%bx
	popw	%ax
	outb	%al, $0xe9
	ret

banner:	.asciz	"BootDbg demo prefix: counting down "
done:	.asciz	"liftoff\r\n"

	.org	510
	.word	0xaa55			/* boot signature */
