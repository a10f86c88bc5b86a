"""The VM sizes the node pools support, with the local storage an ephemeral OS disk can live on.

An ephemeral OS disk lives on the VM's cache disk or, failing that, its temporary (resource) disk:
reimaging is fast, no managed disk is paid for, OS I/O never crosses the network. It must fit, so
the pool's `osDiskSizeGb` is checked against this table before anything is registered.

Source (GiB; "cache size in GiB" and "Temp storage (SSD) GiB" columns):
learn.microsoft.com/azure/virtual-machines/sizes/general-purpose/ddsv5-series,
.../dsv3-series and .../dsv5-series (MicrosoftDocs/azure-compute-docs). Ddsv5 and Dsv5 sizes have
no cache disk; Dsv5 has no temp disk either (no ephemeral OS). Encryption at host: the
`EncryptionAtHostSupported` capability of `az vm list-skus` for these sizes (all True). A size
missing here can still run with a managed OS disk and without encryption at host; add it, with its
numbers and source, to use either.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VmSize:
    cache_gib: int
    """The cache disk (0: none)."""
    temp_gib: int
    """The temporary (resource) disk (0: none)."""
    encryption_at_host: bool

    @property
    def ephemeral_capacity_gib(self) -> int:
        """The largest OS disk that can be ephemeral: on the cache disk, else on the temp disk."""
        return max(self.cache_gib, self.temp_gib)


VM_SIZES: dict[str, VmSize] = {
    # Ddsv5: temp disk only.
    "Standard_D2ds_v5": VmSize(cache_gib=0, temp_gib=75, encryption_at_host=True),
    "Standard_D4ds_v5": VmSize(cache_gib=0, temp_gib=150, encryption_at_host=True),
    "Standard_D8ds_v5": VmSize(cache_gib=0, temp_gib=300, encryption_at_host=True),
    "Standard_D16ds_v5": VmSize(cache_gib=0, temp_gib=600, encryption_at_host=True),
    "Standard_D32ds_v5": VmSize(cache_gib=0, temp_gib=1200, encryption_at_host=True),
    # Dsv3: cache and temp disk.
    "Standard_D2s_v3": VmSize(cache_gib=50, temp_gib=16, encryption_at_host=True),
    "Standard_D4s_v3": VmSize(cache_gib=100, temp_gib=32, encryption_at_host=True),
    "Standard_D8s_v3": VmSize(cache_gib=200, temp_gib=64, encryption_at_host=True),
    "Standard_D16s_v3": VmSize(cache_gib=400, temp_gib=128, encryption_at_host=True),
    # Dsv5: no local disk at all.
    "Standard_D4s_v5": VmSize(cache_gib=0, temp_gib=0, encryption_at_host=True),
    "Standard_D8s_v5": VmSize(cache_gib=0, temp_gib=0, encryption_at_host=True),
}


def ephemeral_fits(vm_size: str, os_disk_size_gb: int) -> bool:
    """Whether this size can hold an OS disk of that size ephemerally (unknown sizes: no)."""
    size = VM_SIZES.get(vm_size)
    return size is not None and os_disk_size_gb <= size.ephemeral_capacity_gib


def supports_encryption_at_host(vm_size: str) -> bool:
    size = VM_SIZES.get(vm_size)
    return size is not None and size.encryption_at_host
