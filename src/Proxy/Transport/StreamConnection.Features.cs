using System.Collections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Proxy.Transport;

/// <summary>The connection is its own feature collection (as Kestrel's transport connection is): its own features cost
/// nothing per connection, and the few others set on it (Kestrel's lifetime and heartbeat features, the chain's
/// connection state) sit in a short list.</summary>
internal sealed partial class StreamConnection : IFeatureCollection
{
    private KeyValuePair<Type, object?>[]? _others;
    private int _otherCount;
    private int _revision;

    bool IFeatureCollection.IsReadOnly => false;

    int IFeatureCollection.Revision => _revision;

    object? IFeatureCollection.this[Type key]
    {
        get
        {
            var index = IndexOfOther(key);
            return index >= 0 ? _others![index].Value : Own(key);
        }

        set
        {
            _revision++;
            var index = IndexOfOther(key);
            if (index >= 0)
            {
                _others![index] = new(key, value);
                return;
            }

            if (value is null && Own(key) is null)
            {
                return;
            }

            if (_others is null || _otherCount == _others.Length)
            {
                Array.Resize(ref _others, _otherCount == 0 ? 6 : _otherCount * 2);
            }

            _others[_otherCount++] = new(key, value); // A null entry hides one of the connection's own features.
        }
    }

    TFeature? IFeatureCollection.Get<TFeature>() where TFeature : default => (TFeature?)((IFeatureCollection)this)[typeof(TFeature)];

    void IFeatureCollection.Set<TFeature>(TFeature? instance) where TFeature : default => ((IFeatureCollection)this)[typeof(TFeature)] = instance;

    IEnumerator<KeyValuePair<Type, object>> IEnumerable<KeyValuePair<Type, object>>.GetEnumerator()
    {
        for (var i = 0; i < _otherCount; i++)
        {
            if (_others![i].Value is { } value)
            {
                yield return new(_others[i].Key, value);
            }
        }

        foreach (var type in OwnTypes)
        {
            if (IndexOfOther(type) < 0)
            {
                yield return new(type, this);
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<KeyValuePair<Type, object>>)this).GetEnumerator();

    private static readonly Type[] OwnTypes =
    [
        typeof(IConnectionIdFeature), typeof(IConnectionTransportFeature), typeof(IConnectionItemsFeature), typeof(IConnectionEndPointFeature),
        typeof(IConnectionLifetimeFeature), typeof(IConnectionSocketFeature), typeof(ISocketTakeoverFeature),
        typeof(IConnectionLifetimeNotificationFeature),
    ];

    private StreamConnection? Own(Type key) => Array.IndexOf(OwnTypes, key) >= 0 ? this : null;

    private int IndexOfOther(Type key)
    {
        for (var i = 0; i < _otherCount; i++)
        {
            if (_others![i].Key == key)
            {
                return i;
            }
        }

        return -1;
    }
}
