// SPDX-License-Identifier: MIT
// nop: 1 per chunk, for measuring the ring itself.
uint op_nop(op_in a, inout uint fault)
{
	return (a.tile == 0u && gl_LocalInvocationIndex == 0u) ? 1u : 0u;
}
