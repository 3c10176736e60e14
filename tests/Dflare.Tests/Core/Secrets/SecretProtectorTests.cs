using Dflare;
using Dflare.Core.Secrets;

namespace Dflare.Tests.Core.Secrets;

public sealed class SecretProtectorTests
{
    private static readonly byte[] Key1 = SecretProtector.NewKey();
    private static readonly byte[] Key2 = SecretProtector.NewKey();

    [Fact]
    public void Seal_ThenOpen_ReturnsTheSecret_AndNeverStoresItInClear()
    {
        var protector = new SecretProtector(new Dictionary<string, byte[]> { ["k1"] = Key1 }, "k1");

        var sealedValue = protector.Seal("bmc-password", "s3cret-pa55");

        Assert.StartsWith("v1:k1:", sealedValue, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", sealedValue, StringComparison.Ordinal);
        Assert.NotEqual(sealedValue, protector.Seal("bmc-password", "s3cret-pa55"));
        Assert.Equal("s3cret-pa55", protector.Open("bmc-password", sealedValue));
    }

    [Fact]
    public void Open_WithAnotherPurpose_IsRefused()
    {
        var protector = new SecretProtector(new Dictionary<string, byte[]> { ["k1"] = Key1 }, "k1");
        var sealedValue = protector.Seal("bmc-password", "x");

        Assert.Throws<DflareException>(() => protector.Open("agent-token", sealedValue));
    }

    [Fact]
    public void Open_Tampered_IsRefused()
    {
        var protector = new SecretProtector(new Dictionary<string, byte[]> { ["k1"] = Key1 }, "k1");
        var sealedValue = protector.Seal("bmc-password", "secret");
        var bytes = Convert.FromBase64String(sealedValue["v1:k1:".Length..]);
        bytes[^1] ^= 1;

        Assert.Throws<DflareException>(() => protector.Open("bmc-password", "v1:k1:" + Convert.ToBase64String(bytes)));
        Assert.Throws<DflareException>(() => protector.Open("bmc-password", "v1:k1:not-base64!"));
        Assert.Throws<DflareException>(() => protector.Open("bmc-password", "v0:k1:AAAA"));
    }

    [Fact]
    public void AfterKeyRotation_OldValuesOpen_NewValuesUseTheNewKey()
    {
        var before = new SecretProtector(new Dictionary<string, byte[]> { ["k1"] = Key1 }, "k1");
        var old = before.Seal("bmc-password", "old");
        var after = new SecretProtector(new Dictionary<string, byte[]> { ["k1"] = Key1, ["k2"] = Key2 }, "k2");

        Assert.Equal("old", after.Open("bmc-password", old));
        Assert.StartsWith("v1:k2:", after.Seal("bmc-password", "new"), StringComparison.Ordinal);
        Assert.Throws<DflareException>(() => before.Open("bmc-password", after.Seal("bmc-password", "new")));
    }
}
