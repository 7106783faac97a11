/*
 * A stand-in for Windows' bcryptprimitives.dll, for the wine test only
 * (scripts/platforms/windows-test.sh): Debian 12's wine 8 has no such DLL,
 * and Rust's standard library takes its random numbers from its ProcessPrng
 * (Windows 10 and newer have it). This one answers from RtlGenRandom
 * (advapi32's SystemFunction036), which wine has. Never shipped.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
