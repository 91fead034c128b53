using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace IoTix.Broker.Listeners;

/// <summary>Mutual TLS (FR-020): accepts client certificates issued by <c>Broker:Tls:ClientCaFile</c>.</summary>
internal sealed class ClientCertificateValidator(X509Certificate2Collection trustedRoots, bool required)
{
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return !required;
        }

        using var customChain = new X509Chain();
        customChain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        customChain.ChainPolicy.CustomTrustStore.AddRange(trustedRoots);
        customChain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return customChain.Build(leaf);
    }

    /// <summary>The identity of a verified client certificate: its subject common name.</summary>
    public static string? IdentityOf(X509Certificate2? certificate) =>
        certificate?.GetNameInfo(X509NameType.SimpleName, forIssuer: false) is { Length: > 0 } name ? name : null;
}
