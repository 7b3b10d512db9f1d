package dev.cas.server;

import org.apache.coyote.AbstractProtocol;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * Puts the HTTP cache ahead of every other filter and of Spring MVC, on every path (see {@link HttpCacheFilter}), and
 * sizes Tomcat's request threads to the machine.
 */
@Configuration(proxyBeanMethods = false)
class HttpCacheConfiguration {
    /**
     * Request threads: {@code cas.http.threads}, or two per processor when 0. Tomcat's default of 200 let 32 clients'
     * 4 KiB GETs contend on 2 cores: 16-20k requests/s, p99 5-8 ms; with 4 threads (and connections kept open, see
     * application.yaml) 26-28k, p99 3 ms (wrk, 32 connections). A thread is held for the length of one request's
     * body, so raise it when many clients upload large blobs over slow links at once.
     */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> httpThreads(
            @Value("${cas.http.threads:0}") int configured) {
        int threads = configured > 0 ? configured : 2 * Runtime.getRuntime().availableProcessors();
        return factory -> factory.addConnectorCustomizers(connector -> {
            if (connector.getProtocolHandler() instanceof AbstractProtocol<?> protocol) {
                protocol.setMaxThreads(threads);
                protocol.setMinSpareThreads(threads);
            }
        });
    }

    @Bean
    FilterRegistrationBean<HttpCacheFilter> httpCache(HttpAuthorization authorization, ServerStores.Stores stores,
            CasServerProperties properties) {
        FilterRegistrationBean<HttpCacheFilter> registration =
                new FilterRegistrationBean<>(new HttpCacheFilter(authorization, stores, properties));
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        registration.addUrlPatterns("/*");
        return registration;
    }
}
