package dev.cas.store;

class InMemoryBlobStoreTest extends BlobStoreContractTest {
    @Override
    protected BlobStore createStore() {
        return new InMemoryBlobStore();
    }
}
